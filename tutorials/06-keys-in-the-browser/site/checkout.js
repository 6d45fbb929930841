// The page's script: only the publishable key, which is public by design.
const payground = { apiBase: "http://127.0.0.1:4242", key: "pk_test_REPLACE_ME" };

async function tokenise(card) {
  const response = await fetch(`${payground.apiBase}/v1/tokens`, {
    method: "POST",
    headers: { Authorization: `Bearer ${payground.key}` },
    body: new URLSearchParams(card),
  });
  return response.json(); // a token, or Stripe's error envelope
}

document.querySelector("#pay").addEventListener("submit", async (event) => {
  event.preventDefault();
  const card = {};
  for (const [name, value] of new FormData(event.target)) card[`card[${name}]`] = value;
  const token = await tokenise(card);
  // A real page would now POST token.id to its own server, which charges it.
  document.querySelector("#result").textContent = token.id
    ? `Token ${token.id}: charge it from your server with python pay_server.py ${token.id}`
    : `Refused: ${token.error.message}`;
});
