// The page's script: only the publishable key, which is public by design.
const payground = { apiBase: "http://127.0.0.1:4242", key: "pk_test_REPLACE_ME" };

async function tokenise(card) {
  const response = await fetch(`${payground.apiBase}/v1/tokens`, {
    method: "POST",
    headers: { Authorization: `Bearer ${payground.key}` },
    body: new URLSearchParams(card),
  });
  return (await response.json()).id; // then POST it to your own server
}
