/** nadm's version, reported by hosts and `nadm --version`. Kept in step with package.json. */
export const NADM_VERSION = "0.1.0";
