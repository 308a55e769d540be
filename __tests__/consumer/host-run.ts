/**
 * What `__tests__/consumer/host.cjs` prints when the package works in a CommonJS host on Express `major`: the page,
 * every action, a forged POST refused, a failing action answered, and the manager mounted on the host's own Express.
 */
export function expectedHostRun(major: 4 | 5) {
  return {
    express: expect.stringMatching(new RegExp(`^${major}\\.`)),
    hostRouter: true,
    page: 200,
    created: 303,
    listed: true,
    resumed: [303, "/workflow"],
    renamed: 303,
    fragment: [200, true],
    forged: 403,
    deleted: [303, false],
    vanished: 404,
    htmx: 200,
  };
}
