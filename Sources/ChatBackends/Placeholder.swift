public enum ChatBackendsPlaceholder {}
