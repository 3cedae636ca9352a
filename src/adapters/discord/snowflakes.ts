/**
 * Discord ids are snowflakes: 64-bit numbers whose top bits are milliseconds since 2015. They
 * order as numbers (a longer id is a later one), never as strings: compare them as BigInt.
 */
const DISCORD_EPOCH_MS = 1_420_070_400_000n;

/** The smallest snowflake of that moment: `after` it means "from then on". */
export function snowflakeAt(ms: number): bigint {
  const since = BigInt(Math.floor(ms)) - DISCORD_EPOCH_MS;
  return since > 0n ? since << 22n : 0n;
}

export function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The later of two points (undefined counts as the beginning of time). */
export function laterOf(a: bigint, b: bigint | undefined): bigint {
  return b !== undefined && b > a ? b : a;
}

export function isSnowflake(id: string | undefined): id is string {
  return id !== undefined && /^\d{1,20}$/.test(id);
}
