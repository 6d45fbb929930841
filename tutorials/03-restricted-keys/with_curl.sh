# Lesson 3 with curl: the leaked marketing key reads the balance, and is refused the customers.
set -eu
[ -f .env ] || { echo "no .env here: run \`payground init\` in this folder first" >&2; exit 1; }
set -a; . ./.env; set +a  # the keys, from .env into this shell's environment only
: "${MARKETING_STRIPE_KEY:?is not set: run python make_team_keys.py first}"

echo "GET /v1/balance with the marketing key:"
curl -sS -o /dev/null -w "%{http_code}\n" -u "$MARKETING_STRIPE_KEY:" \
  "$STRIPE_API_BASE/v1/balance"

echo "GET /v1/customers with the marketing key:"
curl -sS -w "%{http_code}\n" -u "$MARKETING_STRIPE_KEY:" "$STRIPE_API_BASE/v1/customers"
