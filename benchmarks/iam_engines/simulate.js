// Each case of cases.json through @cloud-copilot/iam-simulate; its verdicts and its cost per
// evaluation, as JSON on stdout (read by compare.py).
const { runSimulation } = require('@cloud-copilot/iam-simulate');
const cases = require('./cases.json');

function simulation(c) {
  return {
    identityPolicies: [{ name: 'p', policy: { Version: '2012-10-17', Statement: c.identity } }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: c.resourcePolicy || undefined,
    request: {
      action: c.action,
      principal: c.principal,
      resource: { accountId: c.account, resource: c.resource },
      contextVariables: c.context,
    },
  };
}

(async () => {
  const verdicts = {};
  for (const c of cases) {
    const r = await runSimulation(simulation(c), {});
    verdicts[c.name] = r.resultType === 'error' ? 'error' : r.overallResult === 'Allowed';
  }
  const rounds = 2000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await runSimulation(simulation(cases[i % cases.length]), {});
  const microseconds = Number(process.hrtime.bigint() - started) / rounds / 1000;
  console.log(JSON.stringify({ verdicts, microseconds }));
})();
