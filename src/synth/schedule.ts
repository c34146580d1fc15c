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
 * When Keyfactor Command runs an orchestrator job, in UTC. `exactlyOnce` takes an ISO 8601
 * date-time (`2026-11-25T23:30:00Z`); daily, weekly and monthly schedules take a time of day
 * (`03:00`, `23:30:15`), or a date-time whose date Command does not use. Values are validated
 * at synth, naming the construct and field.
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
   * Run every day at `time`.
   * @param time UTC time of day, `HH:MM` or `HH:MM:SS` (e.g. `03:00`), or an ISO 8601 UTC date-time whose date is not used
   */
  public static daily(time: string): Schedule {
    return new Schedule('daily', { time });
  }

  /**
   * Run on the given days of the week at `time`.
   * @param days at least one day
   * @param time UTC time of day, `HH:MM` or `HH:MM:SS` (e.g. `03:00`), or an ISO 8601 UTC date-time whose date is not used
   */
  public static weekly(days: DayOfWeek[], time: string): Schedule {
    return new Schedule('weekly', { days, time });
  }

  /**
   * Run on the given day of each month at `time`.
   * @param day 1 to 27 (Command's UI limit, so the day exists in every month)
   * @param time UTC time of day, `HH:MM` or `HH:MM:SS` (e.g. `03:00`), or an ISO 8601 UTC date-time whose date is not used
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
        if (typeof time === 'string' && /^\d{1,2}:\d{2}(:\d{2})?$/.test(time)) {
          v.fail(`${field}.time`, `must be an ISO 8601 UTC date-time like 2026-11-25T23:30:00Z (a time of day alone is for daily, weekly and monthly), got ${JSON.stringify(time)}`);
          return undefined;
        }
        return v.utcTime(`${field}.time`, time, `${field}.ExactlyOnce.Time`) ? { ExactlyOnce: { Time: time! } } : undefined;
      case 'interval':
        return v.int(`${field}.minutes`, minutes, 1, undefined, `${field}.Interval.Minutes`) ? { Interval: { Minutes: minutes! } } : undefined;
      case 'daily': {
        const at = v.timeOfDay(`${field}.time`, time, `${field}.Daily.Time`) as string | undefined;
        return at !== undefined ? { Daily: { Time: at } } : undefined;
      }
      case 'weekly': {
        const at = v.timeOfDay(`${field}.time`, time, `${field}.Weekly.Time`) as string | undefined;
        let ok = at !== undefined;
        if (!Array.isArray(days) || days.length === 0) {
          v.fail(`${field}.days`, 'must name at least one day');
          ok = false;
        } else if (new Set(days).size !== days.length || days.some((d) => !Number.isInteger(d) || d < 0 || d > 6)) {
          v.fail(`${field}.days`, `must be distinct DayOfWeek values, got ${JSON.stringify(days)}`);
          ok = false;
        }
        return ok ? { Weekly: { Days: [...days!], Time: at! } } : undefined;
      }
      case 'monthly': {
        const dayOk = v.int(`${field}.day`, day, 1, 27, `${field}.Monthly.Day`);
        const at = v.timeOfDay(`${field}.time`, time, `${field}.Monthly.Time`) as string | undefined;
        return dayOk && at !== undefined ? { Monthly: { Day: day!, Time: at } } : undefined;
      }
    }
  }
}
