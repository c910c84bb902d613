// Preloaded into a CLI process by the tests (node --import): on exit, writes the process's peak resident set size
// (kilobytes, worker threads included) to the file named by EIGENGAME_RSS_FILE.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  writeFileSync(process.env.EIGENGAME_RSS_FILE, String(process.resourceUsage().maxRSS));
});
