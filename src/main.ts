/**
 * The program: `bin/agent-bridge.js` runs the compiled dist/main.js (or this file through tsx), and
 * `npm run dev` runs this file through tsx. Everything else lives in cli.ts.
 */
import { main } from './cli.ts';

await main(process.argv);
