/* medmap quick exit, on pages about a confidential service (a shelter): the button
   (a plain link without JavaScript) and the Escape key leave for a neutral site and
   replace this page in the history, so Back does not return to it. Our own file,
   no third-party script. */
(function () {
  'use strict';
  var link = document.getElementById('quick-exit');
  if (!link) return;
  var target = link.getAttribute('href');
  function leave(e) {
    if (e) e.preventDefault();
    document.body.style.visibility = 'hidden';
    window.location.replace(target);
  }
  link.addEventListener('click', leave);
  document.addEventListener('keydown', function (e) {
    /* Escape that closed a suggestion list (app.js) is not a request to leave. */
    if (e.key === 'Escape' && !e.defaultPrevented) leave(e);
  });
})();
