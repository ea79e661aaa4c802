/* Review queue: "Select all on this page" without a round trip. The button
   works without this script (it reloads the page with every item selected). */
(function () {
  "use strict";
  var button = document.getElementById("select-all");
  var form = document.getElementById("bulk-form");
  if (!button || !form) { return; }
  var boxes = function () { return form.querySelectorAll('input[type="checkbox"][name="items"]'); };
  var allChecked = function () {
    var list = boxes();
    for (var i = 0; i < list.length; i++) { if (!list[i].checked) { return false; } }
    return list.length > 0;
  };
  var label = function () {
    button.textContent = allChecked() ? button.dataset.labelNone : button.dataset.labelAll;
  };
  button.addEventListener("click", function (event) {
    event.preventDefault();
    var select = !allChecked();
    var list = boxes();
    for (var i = 0; i < list.length; i++) { list[i].checked = select; }
    label();
  });
  form.addEventListener("change", label);
  label();
}());
