package keyring

// Service is the keyring service name; the user name is the account ID.
const Service = "io.switchboard.app"
