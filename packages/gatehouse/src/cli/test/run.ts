import { main, type CliIo } from '../main.js';

/** Runs the CLI in process with `GATEHOUSE_DATA_DIR` set, collecting what it prints. */
export async function runCli(args: string[], dataDir: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env: { GATEHOUSE_DATA_DIR: dataDir },
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  };
  const code = await main(args, io);
  return { code, out: out.join(''), err: err.join('') };
}
