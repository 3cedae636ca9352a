// Types of build-state.js for the TypeScript that imports it (the build setup of the tests).
export declare const BUILD_INFO: string;
export declare function listSources(dir: string): string[];
export declare function buildState(root: string): { current: true } | { current: false; reason: string };
