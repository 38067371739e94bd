#!/usr/bin/env bash
# Demo stand-in for seed 000's scraping pipeline (`python scripts/run_pipeline.py --format modern
# --days 3`): for each day and format it "scrapes" one tournament and stores it in the demo
# database's manalytics.tournaments, printing progress like the real pipeline.
# Run by the agent through the policy script `demo.pipeline` (argv, never a shell command line);
# Already stored tournaments (same name and date) are skipped, as a real scraper would.
# It gets PSQL and the libpq variables (PGHOST, PGUSER, PGDATABASE) from the policy environment.
set -euo pipefail

format="" days=1 debug=0
while [ $# -gt 0 ]; do
  case "$1" in
    --format) format="$2"; shift 2 ;;
    --days) days="$2"; shift 2 ;;
    --debug) debug=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$format" in
  modern|standard) formats=("$format") ;;
  all) formats=(modern standard) ;;
  *) echo "--format must be modern, standard or all (got '$format')" >&2; exit 2 ;;
esac
[[ "$days" =~ ^[0-9]+$ ]] && [ "$days" -ge 1 ] || { echo "--days must be a positive integer" >&2; exit 2; }
: "${PSQL:?PSQL (path of psql) must be set by the policy}"

echo "pipeline: formats=${formats[*]} days=$days"
inserted=0
for f in "${formats[@]}"; do
  for ((d = 0; d < days; d++)); do
    [ "$debug" -eq 1 ] && echo "debug: scraping source=mtgo format=$f day=-$d"
    id=$("$PSQL" -X -q -At -v ON_ERROR_STOP=1 -v fmt="$f" -v day="$d" <<'SQL'
INSERT INTO manalytics.tournaments (source_id, format_id, name, date, url, players)
SELECT s.id, f.id, initcap(:'fmt') || ' Challenge ' || to_char(current_date - :'day'::int, 'YYYY-MM-DD'),
       current_date - :'day'::int, 'https://www.mtgo.com/decklists/' || :'fmt', 32 + (random() * 96)::int
  FROM manalytics.sources s, manalytics.formats f
 WHERE s.name = 'mtgo' AND f.name = :'fmt'
   AND NOT EXISTS (SELECT 1 FROM manalytics.tournaments t
                    WHERE t.name = initcap(:'fmt') || ' Challenge ' || to_char(current_date - :'day'::int, 'YYYY-MM-DD')
                      AND t.date = current_date - :'day'::int)
RETURNING id;
SQL
)
    if [ -n "$id" ]; then
      echo "scraped $f $(date -u -d "-$d days" +%F): tournament $id stored"
      inserted=$((inserted + 1))
    else
      echo "scraped $f $(date -u -d "-$d days" +%F): already stored, skipped"
    fi
  done
done
echo "pipeline done: $inserted tournaments stored"
