// Follow a print run's progress without reloading the page.
const box = document.getElementById("batch");
const bar = document.getElementById("batch-progress");
const status = document.getElementById("batch-status");
const download = document.getElementById("batch-download");

async function poll() {
  const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const batch = await response.json();
  bar.value = batch.progress;
  status.textContent = `${batch.progress} / ${batch.count}`;
  if (batch.state === "done") {
    download.hidden = false;
    status.textContent = download.textContent.trim();
  } else if (batch.state === "failed") {
    location.reload();
  } else {
    setTimeout(poll, 1000);
  }
}
if (box.dataset.state === "pending" || box.dataset.state === "running") setTimeout(poll, 500);
