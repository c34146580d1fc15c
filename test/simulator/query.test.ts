import { DEFAULT_JOB_TIMING, JobPlan, runPhase, visibleRuns } from '../../src/simulator/job-timing';
import { compileQuery, FieldMap, QueryError, sortRows } from '../../src/simulator/query';

interface Row {
  name: string | null;
  count: number;
  id: string;
}

const fields: FieldMap<Row> = {
  Name: { type: 'string', get: (r) => r.name },
  Count: { type: 'int', get: (r) => r.count },
  Id: { type: 'guid', get: (r) => r.id },
};

const rows: Row[] = [
  { name: 'alpha', count: 1, id: '00000000-0000-4000-8000-000000000001' },
  { name: 'Beta', count: 2, id: '00000000-0000-4000-8000-000000000002' },
  { name: null, count: 3, id: '00000000-0000-4000-8000-00000000abc3' },
  { name: 'gamma "quoted"', count: 4, id: '00000000-0000-4000-8000-000000000004' },
];

const names = (query: string) => rows.filter(compileQuery(query, fields)).map((r) => r.count);

describe('QueryString parser', () => {
  test('operators, case-insensitivity and quoting', () => {
    expect(names('name -eq "BETA"')).toEqual([2]);
    expect(names('NAME -NE "beta"')).toEqual([1, 3, 4]);
    expect(names('Name -contains "a"')).toEqual([1, 2, 4]);
    expect(names('Name -notcontains "a"')).toEqual([3]);
    expect(names('Name -startswith "al"')).toEqual([1]);
    expect(names('Name -endswith "ta"')).toEqual([2]);
    expect(names('Name -eq "gamma \\"quoted\\""')).toEqual([4]);
    expect(names('Name -eq NULL')).toEqual([3]);
    expect(names('Name -ne null')).toEqual([1, 2, 4]);
    expect(names('Count -lt 2')).toEqual([1]);
    expect(names('Count -le "2"')).toEqual([1, 2]);
    expect(names('Count -gt 3')).toEqual([4]);
    expect(names('Count -ge 3')).toEqual([3, 4]);
    expect(names('Id -eq "00000000-0000-4000-8000-00000000ABC3"')).toEqual([3]); // GUIDs compare case-insensitively
    expect(names('   ')).toEqual([1, 2, 3, 4]);
  });

  test('AND binds tighter than OR; parentheses override', () => {
    expect(names('Count -eq 1 OR Count -eq 2 AND Name -eq "alpha"')).toEqual([1]);
    expect(names('(Count -eq 1 OR Count -eq 2) AND Name -eq "beta"')).toEqual([2]);
    expect(names('Count -eq 4 or (count -eq 1 and name -eq "alpha")')).toEqual([1, 4]);
  });

  test('errors', () => {
    const bad = ['Name', 'Name -eq', '-eq "x"', 'Name -eq "x" AND', 'Count -eq "two"', 'Id -contains "0"', '((Count -eq 1)', 'Count -eq 1)'];
    for (const query of bad) expect(() => compileQuery(query, fields)).toThrow(QueryError);
  });

  test('sorting puts nulls first ascending and is case-insensitive', () => {
    expect(sortRows(rows, fields, 'name', false).map((r) => r.count)).toEqual([3, 1, 2, 4]);
    expect(sortRows(rows, fields, 'Count', true).map((r) => r.count)).toEqual([4, 3, 2, 1]);
  });
});

describe('job timing', () => {
  const plan: JobPlan = { ...DEFAULT_JOB_TIMING, retries: 0, fails: false };
  test('Waiting, InProcess, then Completed at the right times', () => {
    expect(runPhase(1000, plan, 0, 1000)).toEqual({ Status: 1, Result: 1, completedAt: null });
    expect(runPhase(1000, plan, 0, 1150)).toEqual({ Status: 2, Result: 1, completedAt: null });
    expect(runPhase(1000, plan, 0, 1300)).toEqual({ Status: 3, Result: 2, completedAt: 1300 });
    expect(runPhase(1000, { ...plan, fails: true }, 0, 5000)).toEqual({ Status: 3, Result: 4, completedAt: 1300 });
  });

  test('a job that is not due, or never due, is Waiting', () => {
    expect(runPhase(9000, plan, 0, 5000).Status).toBe(1);
    expect(runPhase(null, plan, 0, 5000).Status).toBe(1);
  });

  test('retries: each run is a cycle; a retry row appears when it is picked up', () => {
    const retrying = { ...plan, retries: 2 };
    expect(runPhase(1000, retrying, 0, 1300)).toEqual({ Status: 5, Result: 4, completedAt: 1300 });
    expect(visibleRuns(1000, retrying, 1449)).toBe(1);
    expect(visibleRuns(1000, retrying, 1450)).toBe(2);
    expect(runPhase(1000, retrying, 1, 1450)).toEqual({ Status: 2, Result: 1, completedAt: null });
    expect(runPhase(1000, retrying, 1, 1600)).toEqual({ Status: 5, Result: 4, completedAt: 1600 });
    expect(visibleRuns(1000, retrying, 99_999)).toBe(3);
    expect(runPhase(1000, retrying, 2, 1900)).toEqual({ Status: 3, Result: 2, completedAt: 1900 });
    expect(visibleRuns(null, retrying, 99_999)).toBe(1);
  });
});
