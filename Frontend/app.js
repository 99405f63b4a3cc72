// Placeholder: the real UI is written elsewhere.
console.log("runnel");
