// The copy button copies whole listings.
//
// mdBook copies only the lines on screen, and a listing shows only its
// ANCHOR region: the copied code would not compile. Every listing in this
// book is a complete program, so copy all of it, hidden lines included.
// book.js looks `playground_text` up when the button is clicked, and asks
// for the visible text with `hidden = false`; always answer with all of it.
(function () {
    'use strict';
    const visibleOrAll = window.playground_text;
    window.playground_text = function (playground) {
        return visibleOrAll(playground, true);
    };
})();
