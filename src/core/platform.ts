/** The platforms agent-bridge speaks on. */
export type Platform = 'slack' | 'discord' | 'shell';
