import { Testing, TerraformStack, TerraformVariable } from 'cdktf';
import { CertificateDeployment, DayOfWeek, Schedule } from '../../src';
import { synthErrors, synthJson } from '../support/synth';

/** What each Schedule factory sends to Command, and what it refuses, through a deployment. */
const STORE = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

function sent(schedule: Schedule): unknown {
  const s = new TerraformStack(Testing.app(), 'unit');
  new CertificateDeployment(s, 'web', { certificateId: 7, schedule, stores: [{ certificateStoreId: STORE }] });
  const [carrier] = Object.values<any>(synthJson(s).resource.terraform_data);
  return JSON.parse(carrier.for_each[STORE].spec).schedule;
}

function refused(schedule: Schedule): string {
  const s = new TerraformStack(Testing.app(), 'unit');
  new CertificateDeployment(s, 'web', { certificateId: 7, schedule, stores: [{ certificateStoreId: STORE }] });
  return synthErrors(s);
}

describe('Schedule times', () => {
  test('daily, weekly and monthly take a UTC time of day, sent on a fixed date (the same spec every synth)', () => {
    expect(sent(Schedule.daily('03:00'))).toEqual({ Daily: { Time: '1970-01-01T03:00:00Z' } });
    expect(sent(Schedule.daily('3:00'))).toEqual({ Daily: { Time: '1970-01-01T03:00:00Z' } });
    expect(sent(Schedule.weekly([DayOfWeek.SUNDAY], '23:30:15'))).toEqual({ Weekly: { Days: [0], Time: '1970-01-01T23:30:15Z' } });
    expect(sent(Schedule.monthly(1, '00:00'))).toEqual({ Monthly: { Day: 1, Time: '1970-01-01T00:00:00Z' } });
  });

  test('a full UTC date-time is still taken, and sent as written (stacks written that way keep their spec)', () => {
    expect(sent(Schedule.daily('2026-11-25T23:30:00Z'))).toEqual({ Daily: { Time: '2026-11-25T23:30:00Z' } });
    expect(sent(Schedule.exactlyOnce('2026-11-25T23:30:00Z'))).toEqual({ ExactlyOnce: { Time: '2026-11-25T23:30:00Z' } });
  });

  test('errors say which form is expected; every problem in one synth', () => {
    expect(refused(Schedule.daily('25:00'))).toContain('[unit/web] schedule.time: must be a UTC time of day like 03:00 or 23:30:00 (or an ISO 8601 UTC date-time, whose date is not used), got "25:00"');
    expect(refused(Schedule.daily('3am'))).toContain('schedule.time: must be a UTC time of day like 03:00');
    expect(refused(Schedule.weekly([DayOfWeek.MONDAY], '2026-11-25T23:30:00'))).toContain('schedule.time: must be in UTC (end with "Z", no offset or local time)');
    expect(refused(Schedule.exactlyOnce('03:00'))).toContain(
      'schedule.time: must be an ISO 8601 UTC date-time like 2026-11-25T23:30:00Z (a time of day alone is for daily, weekly and monthly), got "03:00"');
    const both = refused(Schedule.monthly(31, '99:00'));
    expect(both).toContain('schedule.day: must be an integer from 1 to 27');
    expect(both).toContain('schedule.time: must be a UTC time of day like 03:00');
  });

  test('a time from a Terraform variable is checked, and turned into the date-time, at apply', () => {
    const s = new TerraformStack(Testing.app(), 'unit');
    const time = new TerraformVariable(s, 'time', { type: 'string' });
    new CertificateDeployment(s, 'web', { certificateId: 7, schedule: Schedule.daily(time.stringValue), stores: [{ certificateStoreId: STORE }] });
    expect(Testing.synth(s)).toContain('timeOfDay');
  });
});
