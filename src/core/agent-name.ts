/** What an agent's name may be: addressing relies on it as much as `/agent create` does. */
export const AGENT_NAME_RULE = '1-32 letters, digits, - or _';
/** Names are stored NFC-normalized; this is their whole alphabet. */
export const AGENT_NAME = /^[\p{L}\p{N}_-]{1,32}$/u;
/** A word made only of name characters, at the start of a text. */
export const LEADING_NAME_WORD = /^[\p{L}\p{N}_-]{1,32}/u;
