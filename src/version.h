/* version.h -- the one place effad's version is written down; `effad
 * --version` prints it with the file formats this build writes and reads. */
#ifndef EFFAD_VERSION_H
#define EFFAD_VERSION_H

#define EFFAD_VERSION "0.9.0"

#endif
