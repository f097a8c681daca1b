// Deno child of a probe: one GET of Deno.args[0], printed as one JSON line (tests/probes.py).
try {
  const response = await fetch(Deno.args[0]);
  console.log(JSON.stringify({ status: response.status, body: await response.text() }));
} catch (error) {
  console.log(JSON.stringify({ error: String(error), cause: String(error.cause ?? "") }));
}
