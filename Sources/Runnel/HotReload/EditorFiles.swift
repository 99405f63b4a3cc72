/// The file names editors and tools write next to the real file while saving, which must not
/// trigger a reload: only the final path matters.
enum EditorFiles {
    /// Whether `name` (one path component) is a dotfile, a swap, backup or temporary file:
    /// `.*` (vim's `.x.swp`, `.git`, Foundation's atomic-write temporaries), `*~`, `*.swp`,
    /// `*.swx`, `*.tmp`, vim's `4913` probe, JetBrains' `*___jb_tmp___` and `*___jb_old___`,
    /// and Emacs' `#x#` auto-saves.
    static func isIgnored(_ name: String) -> Bool {
        name.hasPrefix(".")
            || name.hasSuffix("~")
            || name == "4913"
            || name.hasSuffix(".swp")
            || name.hasSuffix(".swx")
            || name.hasSuffix(".tmp")
            || name.hasSuffix("___jb_tmp___")
            || name.hasSuffix("___jb_old___")
            || (name.count > 1 && name.hasPrefix("#") && name.hasSuffix("#"))
    }
}
