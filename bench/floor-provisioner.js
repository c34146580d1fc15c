/**
 * The least a provisioner can do for a CertificateDeployment: start node, send the one POST
 * /CertificateStores/Certificates/Add with plain node:http, write the answer to a file. No
 * retries, no secrets, no ledger format, no error handling beyond the status. bench/run.ts runs
 * an apply with this in place of the runner, to show how much of the runner's cost any
 * node-based provisioner would pay anyway. Not for use outside the bench.
 */
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const spec = JSON.parse(process.env.CDKTF_KEYFACTOR_SPEC);
const url = new URL(process.env.KEYFACTOR_HOSTNAME);
const user = `${process.env.KEYFACTOR_DOMAIN}\\${process.env.KEYFACTOR_USERNAME}:${process.env.KEYFACTOR_PASSWORD}`;
const body = JSON.stringify({
  CertificateId: spec.certificateId,
  CertificateStores: [{ CertificateStoreId: spec.store.certificateStoreId, Alias: spec.store.alias }],
  Schedule: spec.schedule,
});
const request = http.request({
  host: url.hostname,
  port: url.port,
  method: 'POST',
  path: '/KeyfactorAPI/CertificateStores/Certificates/Add',
  headers: {
    'authorization': `Basic ${Buffer.from(user).toString('base64')}`,
    'content-type': 'application/json',
    'x-keyfactor-requested-with': 'APIClient',
    'x-keyfactor-api-version': '1',
  },
}, (response) => {
  let text = '';
  response.on('data', (chunk) => (text += chunk));
  response.on('end', () => {
    if (response.statusCode !== 200) {
      process.stderr.write(`HTTP ${response.statusCode}: ${text}\n`);
      process.exit(1);
    }
    fs.writeFileSync(path.join(process.env.CDKTF_KEYFACTOR_LEDGER_DIR, `${spec.key}.json`), text);
    process.stdout.write(`job ${text}\n`);
  });
});
request.end(body);
