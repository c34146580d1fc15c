import { plannedChanges } from '../../src/cli/repair';

describe('plannedChanges', () => {
  test('reads the changes of a terraform plan -json stream; no-ops, reads and other messages are not changes', () => {
    const stream = [
      '{"@level":"info","@message":"Terraform 1.11.4","type":"version"}',
      '{"type":"resource_drift","change":{"resource":{"addr":"terraform_data.drifted"},"action":"update"}}',
      '{"type":"planned_change","change":{"resource":{"addr":"terraform_data.a[\\"k\\"]"},"action":"replace","reason":"requested"}}',
      '{"type":"planned_change","change":{"resource":{"addr":"terraform_data.KeyfactorUndo[\\"gone\\"]"},"action":"delete"}}',
      '{"type":"planned_change","change":{"resource":{"addr":"data.x.y"},"action":"read"}}',
      '{"type":"planned_change","change":{"resource":{"addr":"terraform_data.same"},"action":"noop"}}',
      'not json',
      '{"type":"change_summary","changes":{"add":1,"change":0,"remove":2}}',
    ].join('\n');
    expect(plannedChanges(stream)).toEqual([
      { address: 'terraform_data.a["k"]', action: 'replace' },
      { address: 'terraform_data.KeyfactorUndo["gone"]', action: 'delete' },
    ]);
  });
});
