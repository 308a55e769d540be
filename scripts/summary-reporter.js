// Prints the plain closing line CI reads, "N passed, N failed", after Jest's own summary. A suite that could not
// run at all counts as one failure, so a broken file can never look green.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(`\n${results.numPassedTests} passed, ${failed} failed\n`);
  }
}
