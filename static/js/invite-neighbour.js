/*
 * "Invite a neighbour" on a meeting's page (templates/dialogue/includes/invite_neighbour.html).
 *
 * Without this file the page offers the message and an sms: link. With it:
 * - "Share…" opens the phone's share sheet (Web Share API), shown only where the browser has one;
 * - "Copy the message" puts the message on the clipboard and says so in the live region; where the
 *   clipboard cannot be written, the message is selected in its field, to copy by hand.
 * Nothing is sent to the server, and the link carries no tracking parameter.
 */
(function () {
  "use strict";

  document.querySelectorAll("[data-invite-neighbour]").forEach(function (root) {
    const field = root.querySelector("[data-invite-message]");
    const status = root.querySelector("[data-invite-status]");
    const shareItem = root.querySelector("[data-invite-share-item]");
    const copyItem = root.querySelector("[data-invite-copy-item]");
    const data = {
      title: root.dataset.inviteTitle,
      text: root.dataset.inviteText,
      url: root.dataset.inviteUrl,
    };

    function say(text) {
      // Emptied first, so that the same sentence twice is read twice.
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = text;
      }, 50);
    }

    function selectMessage() {
      field.focus();
      field.select();
      field.setSelectionRange(0, field.value.length);
      say(root.dataset.selected);
    }

    if (typeof navigator.share === "function" && (!navigator.canShare || navigator.canShare(data))) {
      shareItem.hidden = false;
      root.querySelector("[data-invite-share]").addEventListener("click", function () {
        navigator.share(data).catch(function () {
          // Closed without sharing, or refused: nothing to say.
        });
      });
    }

    copyItem.hidden = false;
    root.querySelector("[data-invite-copy]").addEventListener("click", function () {
      if (!navigator.clipboard || !window.isSecureContext) {
        selectMessage();
        return;
      }
      navigator.clipboard.writeText(field.value).then(function () {
        say(root.dataset.copied);
      }, selectMessage);
    });
  });
})();
