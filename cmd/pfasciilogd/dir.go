package main

import "golang.org/x/sys/unix"

// openDir opens a directory descriptor for openat(2).
func openDir(path string) (int, error) {
	return unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
}
