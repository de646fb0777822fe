/** `dsc` from the sources, for tests that need a real process: pipes, signals, exit statuses. */
import { main } from "../../src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
