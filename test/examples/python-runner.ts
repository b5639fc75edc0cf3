/**
 * Runs the Python examples (examples/python) as child processes for test/examples/python.test.ts: a check
 * that python3, protoc and the Debian packages are there (a missing one fails the suite with the apt-get
 * line, it never skips), one-shot scripts, and a long-running script whose JSON-line output is awaited.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The examples' folder. */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/python/', import.meta.url));

/**
 * The interpreter: SWITCHBOARD_PYTHON, else Debian's /usr/bin/python3 (the apt packages are installed for
 * it; a pyenv or venv python3 earlier on PATH would not see them), else python3 from PATH.
 */
export const PYTHON =
  process.env.SWITCHBOARD_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

const APT =
  'apt-get install python3 python3-pika python3-kafka python3-redis python3-websockets python3-protobuf protobuf-compiler';

/** Generated classes go to a directory of the run, not into the source tree. */
const protoOut = mkdtempSync(join(tmpdir(), 'sb-python-proto-'));

export function removeGenerated(): void {
  rmSync(protoOut, { recursive: true, force: true });
}

const env = () => ({
  ...process.env,
  SWITCHBOARD_PROTO_OUT: join(protoOut, 'gen'),
  PYTHONDONTWRITEBYTECODE: '1',
  PYTHONUNBUFFERED: '1',
});

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `script args…` in the examples' folder to its end (killed after `timeoutMs`). */
export function runPython(script: string, args: readonly string[], timeoutMs = 30_000): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script, ...args], { cwd: EXAMPLES_DIR, env: env(), timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', (error) =>
      reject(new Error(`cannot run ${PYTHON} (set SWITCHBOARD_PYTHON or ${APT}): ${error.message}`)),
    );
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like runPython, and fails with the script's output unless it exits 0. */
export async function runPythonOk(script: string, args: readonly string[]): Promise<Finished> {
  const result = await runPython(script, args);
  if (result.code !== 0)
    throw new Error(
      `${script} ${args.join(' ')} exited ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`,
    );
  return result;
}

/**
 * Fails (never skips) when the examples cannot run: names what is missing and the apt-get line. Also
 * generates the Protobuf classes once, so the scripts started later in parallel find them ready.
 */
export async function requirePython(): Promise<void> {
  const probe = await runPython(
    '-c',
    [
      [
        'import sys, shutil',
        'missing = []',
        'for module, package in [("pika", "python3-pika"), ("kafka", "python3-kafka"), ("redis", "python3-redis"), ("websockets", "python3-websockets"), ("google.protobuf", "python3-protobuf")]:',
        '    try: __import__(module)',
        '    except ImportError: missing.append(package)',
        'if shutil.which("protoc") is None: missing.append("protobuf-compiler")',
        'if missing: sys.exit("missing: " + " ".join(missing))',
        'import switchboard_proto',
      ].join('\n'),
    ],
    60_000,
  ).catch((error: Error) => ({ code: -1, stdout: '', stderr: error.message }));
  if (probe.code !== 0)
    throw new Error(
      `The Python examples cannot run with ${PYTHON}: ${probe.stderr.trim() || `exit ${probe.code}`}.\n` +
        `Install them with: ${APT} (or point SWITCHBOARD_PYTHON at an interpreter that has them).`,
    );
}

/** One line of a script's JSON-line output. */
export type PyEvent = Record<string, unknown> & { event: string };

/** A long-running script (ws_client.py): its events as they come, awaitable. */
export class PythonProcess {
  readonly events: PyEvent[] = [];
  readonly exited: Promise<number | null>;
  #stderr = '';
  #partial = '';
  #ended = false;
  #waiters = new Set<() => void>();
  readonly #child: ChildProcess;

  constructor(script: string, args: readonly string[]) {
    this.#child = spawn(PYTHON, [script, ...args], { cwd: EXAMPLES_DIR, env: env() });
    this.#child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (this.#partial + chunk.toString()).split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.events.push(JSON.parse(line) as PyEvent);
      this.#wake();
    });
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      this.#child.once('close', (code) => {
        this.#ended = true;
        resolve(code);
        this.#wake();
      });
    });
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
  }

  /** What the script printed so far, for failure messages. */
  describe(): string {
    return `events:\n${this.events.map((e) => JSON.stringify(e)).join('\n')}\nstderr:\n${this.#stderr}`;
  }

  /** The first event matching `predicate` (past or future); fails on timeout or when the script ended. */
  next(predicate: (event: PyEvent) => boolean, timeoutMs = 20_000): Promise<PyEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(predicate);
        if (!found && !this.#ended) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        if (found) resolve(found);
        else reject(new Error(`the script ended without the awaited event\n${this.describe()}`));
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no awaited event in ${timeoutMs} ms\n${this.describe()}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Ends the script if it still runs (SIGTERM to this child only). */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    await this.exited;
  }
}
