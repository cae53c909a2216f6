// The question search of the project and influence forms (templates/projects/includes/
// question_search.html): Enter in its box searches (htmx listens to the box's "search" event)
// instead of saving the form with the default button.
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || !box.matches || !box.matches(".question-search input[type=search]")) {
      return;
    }
    event.preventDefault();
    box.dispatchEvent(new Event("search", { bubbles: true }));
  });
})();
