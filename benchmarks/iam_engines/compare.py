"""The local AWS's IAM evaluator (glue/local/emulator/policy_evaluation.py) beside
@cloud-copilot/iam-simulate on the same cases (cases.json): each engine's verdicts against the
expected ones, and each one's cost per evaluation in its own process (iam-simulate's without the
inter-process call it would need per request).

Run: `cd benchmarks/iam_engines && npm ci && cd ../.. && .venv/bin/python -m
benchmarks.iam_engines.compare`.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from glue.local.emulator.policy_evaluation import Caller, Policy, Request, evaluate

HERE = Path(__file__).resolve().parent
ROUNDS = 2000


def ours(case: dict) -> bool:
    caller = Caller(
        arn=case["principal"],
        account=case["principal"].split(":")[4],
        identity_policies=(Policy("p", {"Statement": case["identity"]}),),
    )
    context = {key.lower(): (value,) for key, value in case["context"].items()}
    owner = None if case["resource"] == "*" else case["account"]
    policy = Policy("r", case["resourcePolicy"]) if case["resourcePolicy"] else None
    request = Request(case["action"], case["resource"], owner, context)
    required = case.get("kms", False)  # a key policy must allow
    return evaluate(caller, request, policy, resource_policy_required=required).allowed


def main() -> None:
    cases = json.loads((HERE / "cases.json").read_text())
    started = time.perf_counter()
    for index in range(ROUNDS):
        ours(cases[index % len(cases)])
    our_cost = (time.perf_counter() - started) / ROUNDS * 1e6
    theirs = json.loads(
        subprocess.run(
            ["node", "simulate.js"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout
    )
    print(f"{'case':55} {'expected':>9} {'ours':>6} {'iam-simulate':>13}")
    for case in cases:
        print(
            f"{case['name']:55} {case['expected']!s:>9} {ours(case)!s:>6} "
            f"{theirs['verdicts'][case['name']]!s:>13}"
        )
    print(
        f"cost per evaluation: ours {our_cost:.0f} us, iam-simulate {theirs['microseconds']:.0f} us"
    )


if __name__ == "__main__":
    main()
