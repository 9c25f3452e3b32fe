// The peer: PostGraphile 5's recommended preset over the same Postgres cache
// tables. PgIndexBehaviorsPlugin is off so jobs can be ordered by started_at
// (the seed's schema has no index on it), as our API orders them; nothing else
// is tuned. Connection, schema, host and port come from the command line.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  disablePlugins: ["PgIndexBehaviorsPlugin"],
};

export default preset;
