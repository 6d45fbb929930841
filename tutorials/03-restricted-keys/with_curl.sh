# Lesson 3 with curl: the analytics key reads charges, and is refused a new one.
set -eu
set -a; . ./.env; set +a  # the keys, from .env into this shell's environment only
: "${ANALYTICS_STRIPE_KEY:?is not set: run python make_team_keys.py first}"

echo "GET /v1/charges with the analytics key:"
curl -sS -o /dev/null -w "%{http_code}\n" -u "$ANALYTICS_STRIPE_KEY:" \
  "$STRIPE_API_BASE/v1/charges?limit=1"

echo "POST /v1/charges with the analytics key:"
curl -sS -w "%{http_code}\n" -u "$ANALYTICS_STRIPE_KEY:" "$STRIPE_API_BASE/v1/charges" \
  -d amount=2000 -d currency=usd -d source=tok_visa
