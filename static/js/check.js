// A receipt link from the phone carries the code in the fragment (#CODE), which never
// reaches the server: fill it in, so one tap on "Check" is enough.
const input = document.getElementById("receipt-code");
const code = decodeURIComponent(location.hash.slice(1));
if (input && !input.value && /^[A-Za-z0-9-]{16,32}$/.test(code)) {
  input.value = code;
  history.replaceState(null, "", location.pathname);
}
