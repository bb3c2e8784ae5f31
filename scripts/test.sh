#!/usr/bin/env bash
# The whole test suite (`npm test`), set-up included, from a fresh clone:
#   dependencies -> engine -> type check -> lint and format -> unit -> engine tests -> lab tests
# Prints a timing line per stage and, last, one "N passed, N failed" line for the whole run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(nova_root)"

stage() { nova_log test "$1"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm install, not npm ci: the npm of these machines (11.19) writes lock files without other
  # platforms' optional packages and then refuses them in `npm ci`; install keeps the locked versions.
  stage "installing dependencies (npm install from package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
fi
stage "engine"
bash scripts/bootstrap-engine.sh >/dev/null
stage "type check"
npx tsc -p tsconfig.json --noEmit
stage "lint and format"
npx prettier --check .
npx eslint .

reports="$(nova_state_dir)/test-reports"
rm -rf "$reports" && mkdir -p "$reports"
failed_projects=()
for project in unit engine lab; do
  if [ "$project" = lab ]; then
    stage "lab prerequisites"
    bash scripts/lab-prereqs.sh
  fi
  stage "vitest project $project"
  if ! npx vitest run --project "$project" --no-file-parallelism --reporter=default --reporter=json \
    --outputFile.json="$reports/$project.json"; then
    failed_projects+=("$project")
  fi
  stage "vitest project $project done"
done

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  const problems = [];
  for (const file of fs.readdirSync(process.argv[1])) {
    const report = JSON.parse(fs.readFileSync(process.argv[1] + "/" + file, "utf8"));
    passed += report.numPassedTests; failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
    // The end of a long log is often all that is kept: name what failed here, briefly.
    for (const result of report.testResults) {
      const where = result.name.replace(process.cwd() + "/", "");
      const failedTests = result.assertionResults.filter((test) => test.status === "failed").length;
      const notRun = result.assertionResults.filter((test) => test.status !== "passed" && test.status !== "failed").length;
      if (result.status !== "passed" && result.message) problems.push(`${where}: ${result.message.split("\n").slice(0, 3).join(" | ")}`);
      else if (result.status !== "passed" && failedTests === 0) problems.push(`${where}: failed outside its tests (a hook or an unhandled error; see its output above); ${notRun} of its tests did not run`);
      for (const test of result.assertionResults) {
        if (test.status === "failed") problems.push(`${where} > ${test.fullName}: ${(test.failureMessages[0] || "").split("\n")[0]}`);
      }
    }
  }
  for (const problem of problems) console.log(`  FAILED ${problem.slice(0, 400)}`);
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$reports"
if [ ${#failed_projects[@]} -gt 0 ]; then
  echo "failed: ${failed_projects[*]}" >&2
  exit 1
fi
