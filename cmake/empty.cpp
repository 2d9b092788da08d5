// Lets a module with no sources yet still be a static library.
