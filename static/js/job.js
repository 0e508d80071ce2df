// Follow a background job (a print run, an export) without reloading the page. The bar
// moves every second; the spoken status (aria-live) changes only with the state or every
// quarter, so a screen reader is not talked over. The page's JSON gives
// {state, progress, total, status}. A page with data-reload-when-done shows its result
// after a reload.
const box = document.getElementById("job");
const bar = document.getElementById("job-progress");
const status = document.getElementById("job-status");
const download = document.getElementById("job-download");
let lastSpoken = { state: box.dataset.state, quarter: 0 };

async function poll() {
  let job;
  try {
    const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    job = await response.json();
  } catch {
    setTimeout(poll, 3000);
    return;
  }
  if (job.total) {
    bar.max = job.total;
    bar.value = job.progress;
    bar.textContent = `${job.progress} / ${job.total}`;
  }
  const quarter = Math.floor((4 * job.progress) / Math.max(1, job.total));
  if (job.state !== lastSpoken.state || quarter !== lastSpoken.quarter) {
    status.textContent = job.status;
    lastSpoken = { state: job.state, quarter };
  }
  if (job.state === "done" && box.dataset.reloadWhenDone) {
    location.reload(); // the page then shows what the job made (a scan's summary)
  } else if (job.state === "done") {
    download.hidden = false;
    download.querySelector("a")?.focus();
  } else if (job.state === "failed") {
    location.reload();
  } else {
    setTimeout(poll, 1000);
  }
}
if (box.dataset.state === "pending" || box.dataset.state === "running") setTimeout(poll, 500);
