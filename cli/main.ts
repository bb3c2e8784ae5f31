/**
 * The operator CLI entry point (bin/nova-installer runs this file through ts-node).
 * Command groups live one per file; this file only assembles them.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { labCommand } from "./lab";

void yargs(hideBin(process.argv))
  .scriptName("nova-installer")
  .command(labCommand)
  .demandCommand(1, "give a command; see --help")
  .strict()
  .help()
  .fail((message, error, parser) => {
    // A usage mistake deserves the help text; a failure while working only its message.
    if (error !== undefined && error !== null) {
      process.stderr.write(`nova-installer: ${error.message}\n`);
    } else {
      parser.showHelp();
      process.stderr.write(`\n${message}\n`);
    }
    process.exit(error !== undefined && error !== null ? 1 : 2);
  })
  .parseAsync();
