// The reference side of tests/hours_agreement.rs: opening_hours.js, the evaluator
// the OSM community validates `opening_hours` values with, answers "open at this
// instant?" for each case it is given.
//
//   TZ=Europe/Kyiv node tests/hours/evaluate.mjs < cases.json
//
// stdin: a JSON array of cases
//   {expr, lat, lon, country, state, instant_utc}
// where `country` is ISO 3166-1 alpha-2 (or null), `state` the ISO 3166-2
// subdivision (`US-NY`, or null) and `instant_utc` an RFC 3339 instant.
// stdout: a JSON array of the same length: true (open), false (closed) or null
// (unknown: the value says `unknown`, or it does not parse, or the library has no
// holiday calendar for the place and throws while evaluating).
//
// opening_hours.js reads wall-clock times in the process's own time zone, so the
// caller runs one process per IANA zone with TZ set to it; every case given to one
// process must be in that zone. The library's own messages (warnings, errors) go
// to stderr and never mix with the answer.
import opening_hours from 'opening_hours';

/** Everything on stdin, as text. */
async function readStdin() {
    const chunks = [];
    for await (const chunk of process.stdin) {
        chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
}

/** The nominatim-like place the library picks holidays (PH, SH) by. */
function nominatim(c) {
    const address = {};
    if (typeof c.country === 'string' && c.country) {
        address.country_code = c.country.toLowerCase();
    }
    if (typeof c.state === 'string' && c.state) {
        // What Nominatim itself gives: the library maps an ISO 3166-2 code to its
        // own state names (`US-NY` -> `New York`, `GB-ENG` -> `England`).
        // (A code it does not know selects no state, as no state at all would.)
        address['ISO3166-2-lvl4'] = c.state;
    }
    return { lat: String(c.lat), lon: String(c.lon), address };
}

/** Parsed values, one per (expression, place): a value is parsed once. */
const parsed = new Map();

function evaluator(c) {
    const key = JSON.stringify([c.expr, c.country, c.state, c.lat, c.lon]);
    if (!parsed.has(key)) {
        let oh = null;
        try {
            // Mode 0: time ranges, the mode of the `opening_hours` key itself.
            oh = new opening_hours(c.expr, nominatim(c), { mode: 0 });
        } catch (e) {
            process.stderr.write(`parse error: ${JSON.stringify(c.expr)}: ${e}\n`);
        }
        parsed.set(key, oh);
    }
    return parsed.get(key);
}

function answer(c) {
    const oh = evaluator(c);
    if (oh === null) {
        return null;
    }
    const at = new Date(c.instant_utc);
    if (Number.isNaN(at.getTime())) {
        return null;
    }
    try {
        if (oh.getUnknown(at)) {
            return null;
        }
        return oh.getState(at) === true;
    } catch (e) {
        process.stderr.write(`evaluation error: ${JSON.stringify(c.expr)} at ${c.instant_utc}: ${e}\n`);
        return null;
    }
}

const cases = JSON.parse(await readStdin());
if (!Array.isArray(cases)) {
    throw new Error('stdin must be a JSON array of cases');
}
process.stdout.write(JSON.stringify(cases.map(answer)) + '\n');
