/**
 * The operator CLI entry point (bin/nova-installer runs this file through ts-node).
 * Command groups live one per file (the lab's with the lab: lab/commands.ts); this file only assembles them.
 */
import yargs, { CommandModule } from "yargs";
import { hideBin } from "yargs/helpers";
import { labCommand } from "../lab/commands";
import { doctorCommand } from "./doctor";
import { driftCommand } from "./drift";
import { guestImageCommand } from "./guestImage";
import { hostsCommand } from "./hostKeys";
import { previewDiffCommand } from "./previewDiff";
import { recoverCommand } from "./recover";
import { renderCommand } from "./render";
import { secretsCommand } from "./secrets";
import { verifyCommand } from "./verify";

void yargs(hideBin(process.argv))
  .scriptName("nova-installer")
  .command(labCommand)
  .command(secretsCommand)
  .command(renderCommand as unknown as CommandModule)
  .command(doctorCommand as unknown as CommandModule)
  .command(hostsCommand)
  .command(verifyCommand as unknown as CommandModule)
  .command(previewDiffCommand as unknown as CommandModule)
  .command(driftCommand as unknown as CommandModule)
  .command(recoverCommand as unknown as CommandModule)
  .command(guestImageCommand)
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
