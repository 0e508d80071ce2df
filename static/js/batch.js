// Follow a print run's progress without reloading the page. The bar moves every second;
// the spoken status (aria-live) changes only with the state or every quarter, so a
// screen reader is not talked over.
const box = document.getElementById("batch");
const bar = document.getElementById("batch-progress");
const status = document.getElementById("batch-status");
const download = document.getElementById("batch-download");
let lastSpoken = { state: box.dataset.state, quarter: 0 };

async function poll() {
  let batch;
  try {
    const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    batch = await response.json();
  } catch {
    setTimeout(poll, 3000);
    return;
  }
  bar.value = batch.progress;
  bar.textContent = `${batch.progress} / ${batch.count}`;
  const quarter = Math.floor((4 * batch.progress) / Math.max(1, batch.count));
  if (batch.state !== lastSpoken.state || quarter !== lastSpoken.quarter) {
    status.textContent = batch.status;
    lastSpoken = { state: batch.state, quarter };
  }
  if (batch.state === "done") {
    download.hidden = false;
    download.querySelector("a")?.focus();
  } else if (batch.state === "failed") {
    location.reload();
  } else {
    setTimeout(poll, 1000);
  }
}
if (box.dataset.state === "pending" || box.dataset.state === "running") setTimeout(poll, 500);
