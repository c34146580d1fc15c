import { Validator } from './validation';
import type { KeyfactorSchedule } from '../contract/spec';

/** Day of the week, numbered as Keyfactor (and .NET's System.DayOfWeek) number them. */
export enum DayOfWeek {
  SUNDAY = 0,
  MONDAY = 1,
  TUESDAY = 2,
  WEDNESDAY = 3,
  THURSDAY = 4,
  FRIDAY = 5,
  SATURDAY = 6,
}

type Kind = 'immediate' | 'exactlyOnce' | 'interval' | 'daily' | 'weekly' | 'monthly';

/**
 * When Keyfactor Command runs an orchestrator job. Times are ISO 8601 in UTC
 * (e.g. `2026-11-25T23:30:00Z`); for daily, weekly and monthly schedules only the time of
 * day is used by Command. Values are validated at synth, naming the construct and field.
 */
export class Schedule {
  /** Run as soon as the orchestrator picks the job up. */
  public static immediate(): Schedule {
    return new Schedule('immediate');
  }

  /**
   * Run once at the given time.
   * @param time ISO 8601 UTC, e.g. `2026-11-25T23:30:00Z`
   */
  public static exactlyOnce(time: string): Schedule {
    return new Schedule('exactlyOnce', { time });
  }

  /**
   * Run every `minutes` minutes.
   * @param minutes 1 or more
   */
  public static interval(minutes: number): Schedule {
    return new Schedule('interval', { minutes });
  }

  /**
   * Run every day at the time of day of `time`.
   * @param time ISO 8601 UTC
   */
  public static daily(time: string): Schedule {
    return new Schedule('daily', { time });
  }

  /**
   * Run on the given days of the week at the time of day of `time`.
   * @param days at least one day
   * @param time ISO 8601 UTC
   */
  public static weekly(days: DayOfWeek[], time: string): Schedule {
    return new Schedule('weekly', { days, time });
  }

  /**
   * Run on the given day of each month at the time of day of `time`.
   * @param day 1 to 27 (Command's UI limit, so the day exists in every month)
   * @param time ISO 8601 UTC
   */
  public static monthly(day: number, time: string): Schedule {
    return new Schedule('monthly', { day, time });
  }

  private constructor(
    private readonly kind: Kind,
    private readonly args: { time?: string; minutes?: number; days?: DayOfWeek[]; day?: number } = {},
  ) {}

  /**
   * Validates and renders the schedule as Keyfactor's `KeyfactorSchedule` JSON.
   * @internal
   */
  public _render(v: Validator, field: string): KeyfactorSchedule | undefined {
    const { time, minutes, days, day } = this.args;
    switch (this.kind) {
      case 'immediate':
        return { Immediate: true };
      case 'exactlyOnce':
        return v.utcTime(`${field}.time`, time, `${field}.ExactlyOnce.Time`) ? { ExactlyOnce: { Time: time! } } : undefined;
      case 'interval':
        return v.int(`${field}.minutes`, minutes, 1, undefined, `${field}.Interval.Minutes`) ? { Interval: { Minutes: minutes! } } : undefined;
      case 'daily':
        return v.utcTime(`${field}.time`, time, `${field}.Daily.Time`) ? { Daily: { Time: time! } } : undefined;
      case 'weekly': {
        let ok = v.utcTime(`${field}.time`, time, `${field}.Weekly.Time`);
        if (!Array.isArray(days) || days.length === 0) {
          v.fail(`${field}.days`, 'must name at least one day');
          ok = false;
        } else if (new Set(days).size !== days.length || days.some((d) => !Number.isInteger(d) || d < 0 || d > 6)) {
          v.fail(`${field}.days`, `must be distinct DayOfWeek values, got ${JSON.stringify(days)}`);
          ok = false;
        }
        return ok ? { Weekly: { Days: [...days!], Time: time! } } : undefined;
      }
      case 'monthly': {
        const ok = v.int(`${field}.day`, day, 1, 27, `${field}.Monthly.Day`) && v.utcTime(`${field}.time`, time, `${field}.Monthly.Time`);
        return ok ? { Monthly: { Day: day!, Time: time! } } : undefined;
      }
    }
  }
}
