// Starting `bench/server.js` as a child process: every bench script measures a server of its own this way.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** A bench server that is listening, and the port it printed. */
export interface BenchServer {
  child: ChildProcess;
  port: number;
}

/**
 * Spawns `server.js <mode> <database>` (with `nodeFlags` before it, e.g. `--cpu-prof`) and resolves once it prints
 * its `{"port":…}` line; rejects if it exits first.
 */
export async function startBenchServer(mode: string, database: string, nodeFlags: readonly string[] = []): Promise<BenchServer> {
  const child = spawn(process.execPath, [...nodeFlags, join(here, "server.js"), mode, database], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk) => {
        out += chunk;
        const line = out.split("\n").find((l) => l.startsWith("{"));
        if (line) resolve(JSON.parse(line).port);
      });
      child.once("exit", (code) => reject(new Error(`the ${mode} server exited with ${code}`)));
    });
    return { child, port };
  } catch (error) {
    child.kill();
    throw error;
  }
}

/** A process's resident set, in MB. */
export function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
}
