"""Every client-visible message from the contract (SPEC.md), in one place.

`tests/test_contract.py` checks these against the spec character for character.
"""

NO_API_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
)
INVALID_API_KEY = "Invalid API Key provided: {masked}"
EXPIRED_API_KEY = "Expired API Key provided: {masked}"
SECRET_KEY_REQUIRED = (
    "This API call cannot be made with a publishable API key. Please use a secret API key."
)
ACCOUNT_NOT_ACCESSIBLE = (
    "The provided key '{masked}' does not have access to account '{account}' (or that account "
    "does not exist). Application access may have been revoked."
)
CONTEXT_AND_ACCOUNT_DIFFER = (
    "The Stripe-Account header ('{account}') and the Stripe-Context header ('{context}') name "
    "different accounts. Send one of them (Stripe-Context supersedes Stripe-Account), or the "
    "same account in both."
)
MISSING_PERMISSION = (
    "The provided key '{masked}' does not have the required permissions for this endpoint on "
    "account '{account}'. Having the 'rak_{permission}' permission would allow this request "
    "to continue."
)
IP_NOT_ALLOWED = "This API key cannot be used from the IP address {address}."
API_KEY_IN_URL = (
    "API keys must not be sent in the URL. Send your key in the Authorization header "
    "(Bearer auth) and roll the key you just exposed."
)
NO_SUCH = "No such {noun}: '{id}'"
NO_SUCH_OTHER_MODE = (
    "No such {noun}: '{id}'; a similar object exists in {other} mode, but a {mode} mode key was "
    "used to make this request."
)
UNRECOGNIZED_URL = (
    "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can "
    "help at https://support.stripe.com/."
)
# Search (GET /v1/{customers,charges,payment_intents}/search). Stripe's wording for these is
# not documented, except the unsupported field's (as Stripe's answers show it): the others are
# Payground's own (README, "Where Payground differs").
SEARCH_SYNTAX = "Invalid query at character {at}: {what}."
SEARCH_EXPECTED_SEPARATOR = "expected a space, AND or OR after a clause"
SEARCH_EXPECTED_CLAUSE = "expected a clause after {word}"
SEARCH_EXPECTED_FIELD = "expected a field name"
SEARCH_EXPECTED_KEY = 'expected a quoted metadata key, such as metadata["plan"]'
SEARCH_EXPECTED_BRACKET = "expected ] after the metadata key"
SEARCH_EXPECTED_OPERATOR = "expected an operator (:, ~, >, <, >= or <=) after {field}"
SEARCH_EXPECTED_VALUE = "expected a value after {field}{operator}"
SEARCH_UNQUOTED = 'strings must be quoted: {field}{operator}"{word}", not {field}{operator}{word}'
SEARCH_UNTERMINATED = "unterminated string"
SEARCH_EMPTY = 'Invalid query: it has no clause. Search with one, such as email:"jo@example.com".'
SEARCH_AND_OR = (
    "Invalid query: AND and OR cannot be combined in one query (there are no parentheses). "
    "Use one or the other."
)
SEARCH_TOO_MANY_CLAUSES = "Invalid query: a query can have at most {max} clauses."
SEARCH_FIELD_UNSUPPORTED = (
    "Field '{field}' is an unsupported search field for resource '{resource}'. See "
    "https://stripe.com/docs/search#query-fields-for-{anchor} for a list of supported fields."
)
SEARCH_OPERATOR_UNSUPPORTED = (
    "Invalid query: {field} cannot be searched with {operator} (it takes {operators})."
)
SEARCH_SUBSTRING_TOO_SHORT = (
    "Invalid query: a substring search ({field}~) needs at least {min} characters."
)
SEARCH_NOT_AN_INTEGER = "Invalid query: {field} takes an integer, not {value}."
SEARCH_NULL_OPERATOR = "Invalid query: null can only be matched with ':' ({field}:null)."
SEARCH_PAGE_INVALID = (
    "Invalid page: it is not a next_page this search returned. Pass the next_page of the "
    "previous response, with the same query."
)
# The dashboard's search box only: it shows the query back and links its pages with it, masked.
SEARCH_QUERY_MASKED = (
    "Invalid query: it holds text shaped like a secret (such as an OAuth code or refresh "
    "token: ac_..., rt_...), which the dashboard never shows back, so it cannot link this "
    "search's pages. Search for it with the API: GET {path}/search."
)
PARAMETER_UNKNOWN = "Received unknown parameter: {param}"
PARAMETER_MISSING = "Missing required param: {param}."
INVALID_INTEGER = "Invalid integer: {value}"
INVALID_BOOLEAN = "Invalid boolean: {value}"
INVALID_STRING = "Invalid string: {value}"
# Stripe's answer to a parameter of the wrong shape: a string or an array where a hash belongs
# (`metadata=x`, `shipping[address]=x`), a string or a hash where an array belongs
# (`expand=customer`, `expand[a]=b`). Stripe's error names the parameter and has no code.
INVALID_HASH = "Invalid hash"
INVALID_ARRAY = "Invalid array"
# Payground's, for a marshmallow message http.validation has no Stripe words for (a
# validator's default): none is expected to reach a client, but if one does, not as is.
INVALID_VALUE = "Invalid value for {param}."
INVALID_EMPTY = (
    "You passed an empty string for '{param}'. We assume empty values are an attempt to unset a "
    "parameter; however '{param}' cannot be unset. You should remove '{param}' from your request "
    "or supply a non-empty value."
)
# A JSON body's null: the JSON form of "no value", refused as Stripe refuses an empty string
# (form bodies cannot send one; Stripe's SDKs leave a None parameter out instead).
INVALID_NULL = (
    "You passed null for '{param}', which cannot be unset. You should remove '{param}' from your "
    "request or supply a value."
)
AMOUNT_TOO_SMALL = "Amount must be at least $0.50 usd"
# A token's card[currency], which is ignored (Stripe's first sentence; the rest Payground's:
# Stripe's lists its own currencies).
CARD_CURRENCY_INVALID = (
    "Invalid currency: {value}. A card's currency is a three-letter ISO 4217 code, such as usd."
)
MALFORMED_BODY = "Invalid request: the request body could not be decoded."
MALFORMED_QUERY = "Invalid request: the query string could not be decoded."
BAD_HOST = "Invalid request: the Host header is not a valid host name."
ONE_OF_PARAMS = "You may only specify one of these parameters: {params}."
# Stripe's words, as its API answers a create with return_url or off_session and no confirm.
INTENT_CONFIRM_ONLY_PARAM = ("The parameter `{param}` cannot be passed when creating a "
                             "PaymentIntent unless `confirm` is set to true.")
SECRET_KEY_PARAM = ("{param} can only be set with a secret key: a publishable key cannot change "
                    "it from the browser.")
# Stripe: "If you've already set setup_future_usage and you're performing a request using a
# publishable key, you can only update the value from on_session to off_session" (Payground's
# wording).
PUBLISHABLE_FUTURE_USAGE = (
    "This PaymentIntent's setup_future_usage is already {current}: a publishable key can only "
    "change it from on_session to off_session. Change or unset it with a secret key.")
PUBLISHABLE_CARD_FUTURE_USAGE = (
    "This PaymentIntent saves the card {current} (its setup_future_usage, or the card's in "
    "payment_method_options): a publishable key can only change it from on_session to "
    "off_session. Change or unset it with a secret key.")
REFUND_NEEDS_CHARGE = "Missing required param: charge (or payment_intent)."
REFUND_NO_CHARGE = "This PaymentIntent ({id}) has no charge to refund."
MULTIPART_BODY = (
    "Invalid request: multipart/form-data bodies are not supported. Send parameters "
    "form-encoded (application/x-www-form-urlencoded: curl -d, not curl -F) or as JSON."
)
TOO_DEEP = "Invalid {param}: parameters can be nested at most {depth} levels deep."
# NUL characters are refused wherever they come from: PostgreSQL cannot store them in text,
# and no id, name or value needs one.
NUL_IN_URL = "Invalid request: the URL contains a NUL character (%00)."
NUL_IN_NAME = "Invalid request: a parameter name contains a NUL character."
NUL_IN_VALUE = "Invalid string: {param} contains a NUL character."
NUL_IN_IDEMPOTENCY_KEY = "Invalid request: the Idempotency-Key header contains a NUL character."
SECRET_IN_VALUE = (
    "Invalid string: {param} holds a secret API key. Payground stores no key anywhere: keep "
    "keys in environment variables or a secret manager, and roll this one if it is in use.")
WEBHOOK_SECRET_IN_VALUE = (
    "Invalid string: {param} holds a webhook signing secret (whsec_...). Payground stores no "
    "secret anywhere: keep it with your keys, and roll it if it is in use.")
SESSION_IN_VALUE = (
    "Invalid string: {param} holds a dashboard session token (sess_...). It manages your keys: "
    "keep it to yourself, and log out to end it if it may have been seen.")
NO_SESSION = (
    "You did not provide a session. Sign up (POST /sandbox/signup) or log in "
    "(POST /sandbox/login) and send 'Authorization: Bearer sess_...'."
)
API_KEY_ON_SANDBOX = (
    "API keys cannot call the sandbox API: managing keys (and reading the request log, the "
    "audit trail ...) takes the account's session, so a leaked key cannot make itself new "
    "keys. Log in (POST /sandbox/login) and send 'Authorization: Bearer sess_...'."
)
API_KEY_ON_DASHBOARD = (
    "API keys cannot sign in to the dashboard: it manages keys, so it takes your email and "
    "password, and a leaked key cannot make itself new keys. Log in at /dashboard/login."
)
REQUEST_TOO_LARGE = "Request body too large."
API_ERROR = "An unknown error occurred on Payground's side. It has been logged."
IDEMPOTENCY_MISMATCH = (
    "Keys for idempotent requests can only be used with the same parameters they were first "
    "used with. Try using a key other than '{key}' if you meant to execute a different request."
)
IDEMPOTENCY_KEY_IN_USE = (
    "There is currently another in-progress request using this Idempotent Key (that probably "
    "means you submitted twice, and the other request is still going through): {key}. Please "
    "try again later."
)
# Payground's words for a key first used by another caller of the account (its own keys, its
# publishable key, a Connect platform acting on it): its answer is not replayed, and "other
# parameters" would send the caller looking for a difference that is not there.
IDEMPOTENCY_OTHER_CALLER = (
    "Keys for idempotent requests can only be used by the caller that first used them: '{key}' "
    "was first used on this account by another caller (the account's own secret or restricted "
    "keys, its publishable key, or a Connect platform acting on it), whose answer is not "
    "replayed to you. Try using a key of your own for this request."
)
# Stripe's words for a key on another path than its first request's: (this path vs that one).
IDEMPOTENCY_OTHER_ENDPOINT = (
    "Keys for idempotent requests can only be used for the same endpoint they were first used "
    "for ('{path}' vs '{original}'). Try using a key other than '{key}' if you meant to execute "
    "a different request."
)
# Stripe's words for an empty or an over-long Idempotency-Key header.
IDEMPOTENCY_KEY_LENGTH = (
    "Idempotent key length is {length} characters long, which is outside accepted lengths. "
    "Idempotent Keys must be 1-255 characters long. If you're looking for a decent generator, "
    "try using a UUID defined by IETF RFC 4122."
)
INVALID_API_VERSION = "Invalid Stripe API version: {version}"
LOCK_TIMEOUT = (
    "This object cannot be accessed right now because another API request or Stripe process "
    "is currently accessing it. If you see this error intermittently, retry the request. If you "
    "see this error frequently and are making multiple concurrent requests to a single object, "
    "make your requests serially or at a lower rate."
)
RATE_LIMITED = (
    "Request rate limit exceeded. Learn more about rate limits here "
    "https://stripe.com/docs/rate-limits."
)
AUTH_FAILURES_THROTTLED = (
    "Too many failed authentications from your address ({limit} in {window}): every request "
    "from it is refused for {wait} more seconds, even with a valid key. Learn more about rate "
    "limits here https://stripe.com/docs/rate-limits."
)
CARD_DECLINED = "Your card was declined."
LIVE_MODE_TEST_CARD = "Your card was declined. Your request was in live mode, but used a known test card."
TEST_MODE_LIVE_CARD = (
    "Your card was declined. Your request was in test mode, but used a non test (live) card. For "
    "a list of valid test cards, visit: https://stripe.com/docs/testing."
)

# Cards, tokens, charges and refunds (Stripe's own wording where Stripe has one).
CARD_INSUFFICIENT_FUNDS = "Your card has insufficient funds."
CARD_EXPIRED = "Your card has expired."
CARD_INCORRECT_CVC = "Your card's security code is incorrect."
CARD_PROCESSING_ERROR = (
    "An error occurred while processing your card. Try again in a little bit."
)
CARD_NUMBER_INCORRECT = "Your card number is incorrect."
CARD_NUMBER_INVALID = "The card number is not a valid credit card number."
INVALID_EXPIRY_MONTH = "Your card's expiration month is invalid."
INVALID_EXPIRY_YEAR = "Your card's expiration year is invalid."
INVALID_CVC = "Your card's security code is invalid."
TOKEN_NEEDS_CARD = (
    "You must supply either a card, customer, PII data, bank account, or account legal entity "
    "to create a token."
)
TOKEN_ALREADY_USED = "You cannot use a Stripe token more than once: {id}."
RAW_CARD_DATA = (
    "Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you "
    "use test tokens that map to the test card you are using, see "
    "https://stripe.com/docs/testing. Create a token with POST /v1/tokens (a publishable key is "
    "enough) and pass its id as `source`."
)
SOURCE_OR_CUSTOMER = "Must provide source or customer."
CUSTOMER_HAS_NO_CARD = "Cannot charge a customer that has no active card"
# Stripe's answer to a charge naming a customer and a card that is not one of its saved
# cards (404, code `missing`; quoted by WooCommerce Stripe's error checks and mocks).
NO_LINKED_SOURCE = "Customer {customer} does not have a linked source with ID {id}."
AMOUNT_TOO_SMALL_IN = "Amount must be at least {minimum} {currency}"
AMOUNT_TOO_LARGE = "Amount must be no more than $999,999.99"
AMOUNT_TOO_LARGE_IN = "Amount must be no more than {maximum} {currency}"
CHARGE_ALREADY_CAPTURED = "Charge {id} has already been captured."
CHARGE_ALREADY_REFUNDED = "Charge {id} has already been refunded."
CHARGE_FAILED_CANNOT = "Charge {id} has failed; a failed charge cannot be {action}."
# Stripe's answer, as quoted in stripe/stripe-python pull request #330 (code
# charge_expired_for_capture).
CHARGE_EXPIRED_FOR_CAPTURE = (
    "Charge {id} cannot be captured because the charge has expired (a charge must be captured "
    "within 7 days). You will need to create a new charge to retry the payment."
)
CAPTURE_TOO_LARGE = (
    "The amount to capture ({amount}) is greater than the amount of the charge ({authorized})."
)
# Payground's wording of Stripe's documented rule (its message is not known).
CHARGE_TRANSFER_GROUP_SET = (
    "The charge {id} already has a transfer_group: it may only be provided if it has not been "
    "set."
)
INTENT_TRANSFER_GROUP_SET = (
    "The PaymentIntent {id} already has a transfer_group: it may only be provided if it has "
    "not been set."
)
REFUND_TOO_LARGE = "Refund amount ({amount}) is greater than charge amount ({remaining})"
REFUND_TOO_LARGE_AFTER_REFUNDS = (
    "Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})"
)
REFUND_UNCAPTURED_PARTIAL = (
    "You cannot partially refund an uncaptured charge. Instead, capture the charge for an amount "
    "less than the original amount"
)

# Events (GET /v1/events)
EVENT_TYPE_AND_TYPES = "You may pass either `type` or `types`, but not both."
EVENT_TYPES_TOO_MANY = "Invalid types: must contain at most {max} event types."

# PaymentMethods and PaymentIntents (Stripe's own wording, except where marked Payground's).
PAYMENT_METHOD_ALREADY_ATTACHED = (
    "The payment method you provided has already been attached to a customer."
)
PAYMENT_METHOD_NOT_ATTACHED = (
    "The payment method you provided is not attached to a customer so detachment is impossible."
)
# Stripe's answer to updating one that is not attached (quoted by stripe-ruby-mock and
# omnipay-stripe's recorded responses).
PAYMENT_METHOD_UPDATE_UNATTACHED = (
    "You must save this PaymentMethod to a customer before you can update it."
)
PAYMENT_METHOD_SPENT = (
    "The provided PaymentMethod was previously used with a PaymentIntent without Customer "
    "attachment, shared with a connected account without Customer attachment, or was detached "
    "from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must "
    "attach it to a Customer first."
)
PAYMENT_METHOD_OF_OTHER_CUSTOMER = (
    "The customer does not have a payment method with the ID {id}. The payment method must be "
    "attached to the customer."
)
# Payground's wording: Stripe's for this case is not known.
PAYMENT_METHOD_NEEDS_ITS_CUSTOMER = (
    "The provided PaymentMethod {id} is attached to a Customer. To use it, set that Customer as "
    "the PaymentIntent's `customer`."
)
PAYMENT_METHOD_TOKEN_AND_CARD = (
    "Pass either card[token] or the card's details (card[number], card[exp_month], "
    "card[exp_year], card[cvc]), not both."
)
PAYMENT_METHOD_TYPE_INVALID = (
    'The payment method type "{type}" is invalid. Payground supports only "card".'
)
INTENT_CONFIRM_SUCCEEDED = (
    "You cannot confirm this PaymentIntent because it has already succeeded after being "
    "previously confirmed."
)
INTENT_CONFIRM_STATE = (
    "You cannot confirm this PaymentIntent because it has a status of {status}. Only a "
    "PaymentIntent with one of the following statuses may be confirmed: requires_payment_method, "
    "requires_confirmation, requires_action."
)
INTENT_MISSING_PAYMENT_METHOD = (
    "You cannot confirm this PaymentIntent because it's missing a payment method. You can either "
    "update the PaymentIntent with a payment method and then confirm it again, or confirm it "
    "again directly with a payment method."
)
INTENT_CAPTURE_STATE = (
    "This PaymentIntent could not be captured because it has a status of {status}. Only a "
    "PaymentIntent with one of the following statuses may be captured: requires_capture."
)
INTENT_ALREADY_CAPTURED = (
    "This PaymentIntent could not be captured because it has already been captured."
)
INTENT_CAPTURE_TOO_LARGE = (
    "The payment could not be captured because the requested capture amount is greater than the "
    "amount you can capture for this charge."
)
INTENT_CANCEL_STATE = (
    "You cannot cancel this PaymentIntent because it has a status of {status}. Only a "
    "PaymentIntent with one of the following statuses may be canceled: requires_payment_method, "
    "requires_capture, requires_confirmation, requires_action, processing."
)
INTENT_UPDATE_STATE = (
    "This PaymentIntent's {field} could not be updated because it has a status of {status}. You "
    "may only update the {field} of a PaymentIntent with one of the following statuses: "
    "requires_payment_method, requires_confirmation, requires_action."
)
# Stripe's answer since 2 January 2024 to a PaymentIntent that may be paid by card (every
# Payground intent): only the suffix reaches a card statement.
INTENT_STATEMENT_DESCRIPTOR_CARD = (
    "The statement_descriptor parameter is not supported for the payment_method_type `card`. "
    "To continue supporting payment_method_type `card`, please pass in "
    "`statement_descriptor_suffix` or remove the `statement_descriptor` parameter altogether. "
    "Please see https://support.stripe.com/questions/use-of-the-statement-descriptor-parameter-"
    "on-paymentintents-for-card-charges for additional details."
)
CLIENT_SECRET_MISMATCH = (
    "The client_secret provided does not match the client_secret associated with the "
    "PaymentIntent."
)

# 3-D Secure (Stripe's wording for the decline and the failed authentication; the page's
# messages and the return_url check are Payground's).
CARD_AUTHENTICATION_REQUIRED = (
    "Your card was declined. This transaction requires authentication."
)
INTENT_AUTHENTICATION_FAILURE = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
    "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)
# SetupIntents: Stripe's own wording, which is not its PaymentIntent messages with the noun
# changed (as its API answers them at our API version; the failed authentication's as
# Stripe's setup_intent.setup_failed events show it).
SETUP_INTENT_AUTHENTICATION_FAILURE = (
    "The latest attempt to set up the payment method has failed because authentication failed."
)
SETUP_CONFIRM_SUCCEEDED = "You cannot confirm this SetupIntent because it has already succeeded."
SETUP_CONFIRM_CANCELED = "You cannot confirm this SetupIntent because it has been canceled."
SETUP_MISSING_PAYMENT_METHOD = (
    "You cannot confirm this SetupIntent because it's missing a payment method. You can either "
    "update the SetupIntent with a payment method and then confirm it again, or confirm it "
    "again directly with a payment method or ConfirmationToken."
)
SETUP_CANCEL_STATE = (  # backticks and "or" are Stripe's
    "You cannot cancel this SetupIntent because it has a status of {status}. Only a "
    "SetupIntent with one of the following statuses may be canceled: "
    "`requires_payment_method`, `requires_confirmation`, or `requires_action`."
)
SETUP_CANCEL_CANCELED = "You cannot cancel this SetupIntent because it is already canceled."
SETUP_UPDATE_SUCCEEDED = "You cannot update this SetupIntent because it has already succeeded."
# Payground's wording, after the confirm's (Stripe's for a canceled one is not recorded).
SETUP_UPDATE_CANCELED = "You cannot update this SetupIntent because it has been canceled."
SETUP_METHOD_OF_OTHER_CUSTOMER = (
    "The PaymentMethod {id} does not belong to the Customer you supplied {customer}. Please "
    "use this PaymentMethod with the Customer that it belongs to instead."
)
SETUP_METHOD_NEEDS_ITS_CUSTOMER = (
    "The payment method supplied ({id}) belongs to the Customer {customer}. Please include the "
    "Customer in the `customer` parameter on the SetupIntent."
)
SETUP_CLIENT_SECRET_MISMATCH = (
    "The client_secret provided does not match the client_secret associated with the "
    "SetupIntent."
)
SETUP_CONFIRM_ONLY_PARAM = ("The parameter `{param}` cannot be passed when creating a "
                            "SetupIntent unless `confirm` is set to true.")
RETURN_URL_INVALID = (
    "Invalid URL: {url}. return_url must be an absolute URL the customer's browser can open "
    "(https://shop.example/done, or an app's own scheme: myapp://done)."
)
AUTHENTICATION_NOT_FOUND = (
    "No such authentication. The link is incomplete, or a later confirmation of the "
    "PaymentIntent (or SetupIntent) replaced it: use its next_action as it is now."
)
AUTHENTICATION_FINISHED = (
    "This authentication has already been {outcome}; the {noun} is now {status}."
)
AUTHENTICATION_NOT_AWAITED = (
    "This {noun} no longer awaits authentication: its status is {status}."
)
AUTHENTICATION_ACTION_INVALID = (
    "Invalid action: choose Complete authentication or Fail authentication (action=complete "
    "or action=fail)."
)
AUTHENTICATION_METHOD_NOT_ALLOWED = (
    "The authentication page does not accept {method} requests: open its link (GET), then "
    "choose Complete authentication or Fail authentication (POST)."
)

# Statement descriptors (charges; a PaymentIntent's suffix). Stripe's rules ("Statement
# descriptors" in its docs): 5 to 22 characters (a suffix follows the account's prefix), at
# least one Latin letter, none of < > \\ ' " *. The first two follow answers of Stripe's API
# quoted in integrations' issues; the length one is Payground's (Stripe's is not known).
STATEMENT_DESCRIPTOR_CHARACTERS = (
    "Invalid statement descriptor. Cannot contain the characters <, >, \\, ', \", or *")
STATEMENT_DESCRIPTOR_LETTER = (
    "The statement descriptor must contain at least one alphabetic character.")
STATEMENT_DESCRIPTOR_TOO_SHORT = (
    "Invalid statement descriptor. It must be at least {minimum} characters long.")

# Balance and payouts (ledger)
BALANCE_INSUFFICIENT = (
    "You have insufficient funds in your Stripe account for this transfer. Your card balance is "
    "too low.  You can use the /v1/balance endpoint to view your Stripe balance (for more "
    "details, see stripe.com/docs/api#balance)."
)
PAYOUT_NOT_PENDING = "Payouts can only be canceled while they are pending."
# Stripe's, for a bank account number that is not one of its test numbers, in test mode.
TEST_MODE_LIVE_BANK_ACCOUNT = (
    "You must use a test bank account number in test mode. Try 000123456789 or see more "
    "options at https://stripe.com/docs/connect/testing#account-numbers.")
# Payground's own (Stripe's wording for these is not documented).
TEST_MODE_ROUTING_NUMBER = (
    "Test mode pays out to Stripe's test bank only: use its routing number 110000000 (or leave "
    "it out).")
LIVE_MODE_TEST_BANK_ACCOUNT = (
    "Your request was in live mode, but used Stripe's test bank (routing number 110000000). "
    "Live payouts need a real bank account's routing number.")
# Activating a second time: where to get live keys instead, for the API caller (a script, the
# test fixture) and for the dashboard's form, which has the keys page to point to.
LIVE_ALREADY_ACTIVATED = (
    "Live mode is already activated for this account. Create live keys with POST /sandbox/keys "
    "(livemode=true, type=secret or restricted) or roll one with POST "
    "/sandbox/keys/key_.../roll (from a terminal: `payground keys create --mode live`, "
    "`payground keys roll`).")
DASHBOARD_LIVE_ALREADY_ACTIVATED = (
    "Live mode is already activated for this account. Roll or create live keys from the API "
    "keys page.")

# Webhook endpoints (Stripe's wording where known; Payground's own where noted in the README).
WEBHOOK_URL_INVALID = (
    "Invalid URL: {url}. A webhook endpoint's URL must be an absolute http:// or https:// URL."
)
WEBHOOK_URL_LIVE_HTTPS = (
    "Invalid URL: live mode webhook endpoints must use HTTPS (a receiver on this machine, at "
    "localhost, 127.0.0.1 or [::1], may use http://)."
)
WEBHOOK_ENDPOINTS_LIMIT = (
    "You have reached the maximum of {max} {mode} mode webhook endpoints on this account. "
    "Delete one before creating another."
)
WEBHOOK_EVENT_UNKNOWN = "Invalid {param}: must be * or one of the event types Payground sends: {types}"
WEBHOOK_CONNECT = (
    "Invalid connect: this account has no Connect application in {mode} mode, so a Connect "
    "endpoint would never be sent anything. Create it first (POST /sandbox/connect with "
    "\"livemode\": {livemode}), or leave connect out."
)
WEBHOOK_ROLL_EXPIRES_IN = (
    "Invalid expires_in: must be between 0 (the old secret stops signing now) and {max} "
    "seconds (24 hours)."
)
WEBHOOK_EVENTS_INVALID = "Invalid {param}: must be a list of event types."

# Leak drills (sandbox; Stripe has none).
DRILL_PUBLISHABLE = ("Publishable keys are public by design: a leak drill needs a secret or "
                     "restricted key.")
DRILL_KEY_DEAD = "The key {key} no longer works: a leak drill needs a key that does."
DRILL_RUNNING = ("A leak drill is already running for {key} ({id}): its bots keep trying for "
                 "an hour after the leak.")

# The dashboard shows one mode at a time (its Test/Live switch): a form acts in the mode its
# page showed, or not at all; a key of the other mode is not rolled, revoked or leaked there.
KEY_OTHER_MODE = ("{key} is a {other} mode key, and this is {mode} mode: switch to {other} mode "
                  "to {action} it.")
DASHBOARD_FORM_OTHER_MODE = (
    "This form was filled in on a {shown} mode page, and the dashboard has switched to {mode} "
    "mode since (in another tab?): nothing was {done}. Send the form again to do it in {mode} "
    "mode, or switch back to {shown} mode first."
)
# A dashboard form sent again (a double click, the answer reloaded, Back and "send again"):
# {done} says what the first sending did, and where to find it. After a double click the
# browser shows the second answer (this one), not the first, which held the secret.
DASHBOARD_FORM_ALREADY_SENT = (
    "This form was sent before, and did what it asked then: {done} Sending it again "
    "(a second click on its button, reloading the page that answered it, or going back to "
    "the form) does nothing."
)
DASHBOARD_KEY_CREATED_BEFORE = (
    "the key it created is on the API keys page. Its secret was shown once, on the answer "
    "to that first sending, and is not shown again: if you did not copy it, roll that key. "
    "To create another key, fill in the form again."
)
DASHBOARD_KEY_ROLLED_BEFORE = (
    "the new key is on the API keys page. Its secret was shown once, on the answer to that "
    "first sending, and is not shown again: if you did not copy it, roll the new key."
)
DASHBOARD_SIGNED_UP_BEFORE = (
    "it created your account. Its test keys were shown once, on the answer to that first "
    "sending, and are not shown again: if you did not copy the secret key, roll it on the "
    "API keys page."
)
DASHBOARD_ENDPOINT_ADDED_BEFORE = (
    "the endpoint it added is on the webhooks page. Its signing secret was shown once, on "
    "that answer, and is not shown again: if you did not copy it, roll the endpoint's secret."
)
DASHBOARD_SECRET_ROLLED_BEFORE = (
    "the endpoint's new signing secret was shown once, on that answer, and is not shown "
    "again: if you did not copy it, roll the secret again."
)
DASHBOARD_DRILL_STARTED_BEFORE = "the drill it started is on the leak drills page."
DASHBOARD_CLOCK_ADVANCED_BEFORE = (
    "the clock moved forward then. To move it further, use the clock page again."
)
WEBHOOK_URL_NOT_ALLOWED = (
    "Invalid URL: this server sends webhooks only to the hosts its operator allows "
    "(PAYGROUND_WEBHOOK_ALLOWED_HOSTS), and {host} is not one of them."
)

# --- Connect OAuth (Stripe's wording where Stripe has one: docs.stripe.com/connect/oauth-reference)
OAUTH_NO_CLIENT = "No application matches the supplied client identifier"
OAUTH_BAD_REDIRECT_URI = (
    "Invalid redirect URI '{uri}'. Ensure this uri exactly matches one of the uris specified "
    "in your application settings"
)
OAUTH_UNSUPPORTED_RESPONSE_TYPE = "Only the response_type 'code' is supported, not '{value}'."
OAUTH_NO_RESPONSE_TYPE = "No response_type provided: only 'code' is supported."
OAUTH_INVALID_SCOPE = "Invalid scope '{value}': use read_only or read_write."
OAUTH_ACCESS_DENIED = "The user denied your request"
OAUTH_OWN_APPLICATION = "An account cannot connect to its own application"
OAUTH_LIVE_NOT_ACTIVATED = (
    "{name} asks for access to your live-mode data, and live mode is not activated for this "
    "account. Activate it first, then open this link again."
)
OAUTH_NO_AUTHENTICATION = (
    "No authentication was provided. Send your secret API key as the client_secret parameter "
    "or in the Authorization header."
)
OAUTH_TWO_CLIENT_SECRETS = (
    "Two different API keys were provided, in the Authorization header and as the "
    "client_secret parameter. Send your secret API key once."
)
OAUTH_SECRET_KEY_REQUIRED = (
    "This request needs your secret API key; {masked} is a {kind} key."
)
OAUTH_TOKEN_AS_CLIENT = (
    "{masked} is an OAuth access token; send your platform's own secret API key."
)
OAUTH_NO_GRANT_TYPE = "No grant type specified"
OAUTH_UNSUPPORTED_GRANT_TYPE = "Unsupported grant type: {value}"
OAUTH_NO_CODE = "No authorization code provided"
OAUTH_CODE_UNKNOWN = "Authorization code does not exist: {code}"
OAUTH_CODE_EXPIRED = "Authorization code expired: {code}"
OAUTH_CODE_NARROWED = (  # approved again with a narrower scope before this code was exchanged
    "Authorization code {code} was for {wanted} access, but the account has approved "
    "{granted} access since: exchange the code of that approval instead."
)
OAUTH_CODE_OTHER_MODE = (
    "Authorization code provided was created in {mode} mode and can not be used with a "
    "{other} mode key"
)
OAUTH_CODE_USED = (
    "This authorization code has already been used. All tokens issued with this code have "
    "been revoked."
)
OAUTH_REDIRECT_MISMATCH = (
    "Redirect URI does not match the one used to request the authorization code"
)
OAUTH_NO_REFRESH_TOKEN = "No refresh token provided"
OAUTH_REFRESH_UNKNOWN = "Refresh token does not exist: {token}"
OAUTH_REFRESH_OTHER_MODE = (
    "Refresh token provided was created in {mode} mode and can not be used with a {other} "
    "mode key"
)
OAUTH_SCOPE_UPGRADE = "Cannot upgrade the scope of a refresh token from {granted} to {wanted}"
OAUTH_NO_CLIENT_ID = "No client_id provided"
OAUTH_NO_STRIPE_USER_ID = "No stripe_user_id provided"
OAUTH_NO_SUCH_APPLICATION = "No such application: {client_id}"
OAUTH_NOT_CONNECTED = (
    "This application is not connected to stripe account {account}, or that account does "
    "not exist."
)
# Stripe's words (quoted from its answer to a Stripe App listing them as a connected account).
CONNECTED_ACCOUNTS_OF_CONNECTED = (
    "You cannot access the connected accounts of your platform's connected accounts."
)
OAUTH_READ_ONLY = (
    "This application has read-only access to account '{account}'. Ask the account to connect "
    "it with scope read_write to make this request."
)
OAUTH_TOKEN_NOT_MANAGED_HERE = (
    "{key} is an OAuth access token of connection {connection}: it ends when the connection "
    "does. Disconnect the application with POST /sandbox/connections/{connection}/revoke "
    "instead (its other access tokens end with it)."
)
CONNECTION_OTHER_MODE = ("{connection} is a {other} mode connection, and this is {mode} mode: "
                         "switch to {other} mode to {action} it.")
CONNECTION_ALREADY_REVOKED = "Connection {connection} is already revoked."
LIVE_MODE_NOT_ACTIVATED = (  # keys, Connect applications: live actions need activation
    "Live mode is not activated for this account: activate it first (POST "
    "/sandbox/account/activate, `payground activate`, or Activate live mode in the dashboard)."
)
DASHBOARD_CONNECT_SAVED_BEFORE = (
    "it saved the Connect settings then (they are on the Connect settings page). To change "
    "them again, fill in the form again."
)
OAUTH_CONSENT_NARROWS = (
    "{name} has read and write access to this account now. Connecting it with read-only "
    "access ends that: its read-and-write access tokens and its refresh tokens stop working "
    "at once."
)
DASHBOARD_CONNECTED_BEFORE = (
    "it connected the application then, and sent your browser back to it. To connect it "
    "again, open the application's link again."
)

# Customers' descriptive fields (kept and shown back; Payground has no invoices or tax).
INVOICE_PREFIX_INVALID = (
    "Invalid invoice_prefix: must be 1 to 12 uppercase letters (A-Z) or digits (0-9).")
PREFERRED_LOCALE_INVALID = (
    "Invalid {param}: must be a language tag such as en, fr-FR or zh-Hant-TW.")
CUSTOM_FIELDS_TOO_MANY = "Invalid {param}: a customer can have at most {max} custom fields."
