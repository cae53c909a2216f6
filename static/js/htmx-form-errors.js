// htmx does not swap 4xx answers by default. A form marked data-swap-errors gets its 400 answer
// (the form with its French error messages and what was typed) swapped in like a success.
document.addEventListener("htmx:beforeSwap", (event) => {
  const element = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (event.detail.xhr.status === 400 && element && element.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
