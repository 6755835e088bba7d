// tentacle-nfs-fuse: an NFSv3 client in user space, mounted through FUSE, for machines whose kernel has
// no NFS client. It takes mount.nfs's command line, so that `mount -t nfs` (what the kubelet runs) can
// reach it through a mount.nfs helper:
//
//   tentacle-nfs-fuse SERVER:/PATH TARGET [-o OPTIONS] [-r|-w] [-s] [-n] [-v] [-f] [-N NS] [-t TYPE]
//
// The export is mounted (errors are reported before anything is mounted), then the daemon detaches and
// serves the mount until it is unmounted (`umount TARGET` ends it). Every operation is sent to the
// server with the calling process's uid and gid (AUTH_SYS): the server decides what is allowed, as it
// does for the kernel's client, so the mount is shared by every user of the machine (allow_other).
//
// Options: ro/rw and the generic ones (nosuid, nodev, noexec, noatime, ...) apply to the mount;
// port= and mountport= skip the portmapper; nfsvers=/vers= are accepted whatever they say and NFSv3
// is spoken (the NFSv4 support of the libnfs it is built on is not usable); proto= must be tcp; sec=
// must be sys; the rest of the kernel client's options (hard, soft, timeo, retrans, rsize, wsize,
// actimeo, nolock, ...) are accepted and have no effect: I/O waits for the server for as long as it
// is away (as with `hard`), and locks are local to the machine (no NLM).
//
// Built on Debian's libnfs (4.0) and libfuse3 by hack/tools.sh. One thread serves the mount, so the
// libnfs context is never used concurrently.
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw-nfs.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

// Exit codes of mount helpers (mount(8)): usage error, system error, mount failure.
enum { EX_USAGE_ = 1, EX_SYSERR = 2, EX_FAIL = 32 };

static struct nfs_context *nfs;
static const char *prog = "mount.nfs";
// The AUTH_SYS identity the context currently sends; changed only when the caller's differs.
static uid_t sent_uid = (uid_t)-1;
static gid_t sent_gid = (gid_t)-1;

static void die(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(code);
}

// Sends the next request as the process that made it.
static void as_caller(void) {
  struct fuse_context *c = fuse_get_context();
  if (c->uid != sent_uid) {
    nfs_set_uid(nfs, (int)c->uid);
    sent_uid = c->uid;
  }
  if (c->gid != sent_gid) {
    nfs_set_gid(nfs, (int)c->gid);
    sent_gid = c->gid;
  }
}

// The NFS handle of a file opened by op_open or op_create (only file operations receive these).
static struct nfsfh *handle(struct fuse_file_info *fi) { return (struct nfsfh *)(uintptr_t)fi->fh; }

static void to_stat(const struct nfs_stat_64 *n, struct stat *st) {
  memset(st, 0, sizeof *st);
  st->st_dev = n->nfs_dev;
  st->st_ino = n->nfs_ino;
  st->st_mode = n->nfs_mode;
  st->st_nlink = n->nfs_nlink;
  st->st_uid = n->nfs_uid;
  st->st_gid = n->nfs_gid;
  st->st_rdev = n->nfs_rdev;
  st->st_size = n->nfs_size;
  st->st_blksize = n->nfs_blksize;
  st->st_blocks = n->nfs_blocks;
  st->st_atim.tv_sec = n->nfs_atime;
  st->st_atim.tv_nsec = n->nfs_atime_nsec;
  st->st_mtim.tv_sec = n->nfs_mtime;
  st->st_mtim.tv_nsec = n->nfs_mtime_nsec;
  st->st_ctim.tv_sec = n->nfs_ctime;
  st->st_ctim.tv_nsec = n->nfs_ctime_nsec;
}

// Attribute calls go by path even when the kernel names an open file: for a directory, fi->fh is
// libfuse's own handle, not an NFS one (the path is always known: nullpath_ok is not set).
static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
  (void)fi;
  struct nfs_stat_64 n;
  as_caller();
  int rc = nfs_lstat64(nfs, path, &n);
  if (rc == 0) to_stat(&n, st);
  return rc;
}

static mode_t type_bits(uint32_t type) {
  switch (type) {
    case NF3DIR: return S_IFDIR;
    case NF3LNK: return S_IFLNK;
    case NF3BLK: return S_IFBLK;
    case NF3CHR: return S_IFCHR;
    case NF3SOCK: return S_IFSOCK;
    case NF3FIFO: return S_IFIFO;
    default: return S_IFREG;
  }
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
                      enum fuse_readdir_flags flags) {
  (void)off, (void)fi, (void)flags;
  struct nfsdir *dir;
  as_caller();
  int rc = nfs_opendir(nfs, path, &dir);
  if (rc) return rc;
  struct nfsdirent *e;
  while ((e = nfs_readdir(nfs, dir)) != NULL) {
    struct stat st = {.st_ino = e->inode, .st_mode = type_bits(e->type)};
    if (fill(buf, e->name, &st, 0, 0)) break;
  }
  nfs_closedir(nfs, dir);
  return 0;
}

static int op_readlink(const char *path, char *buf, size_t size) {
  as_caller();
  if (size == 0) return -EINVAL;
  int rc = nfs_readlink(nfs, path, buf, (int)size);
  buf[size - 1] = '\0';
  return rc < 0 ? rc : 0;
}

static int op_mknod(const char *path, mode_t mode, dev_t rdev) {
  as_caller();
  if (S_ISREG(mode)) {
    struct nfsfh *fh;
    int rc = nfs_create(nfs, path, O_CREAT | O_EXCL | O_WRONLY, (int)(mode & 07777), &fh);
    if (rc == 0) nfs_close(nfs, fh);
    return rc;
  }
  return nfs_mknod(nfs, path, (int)mode, (int)rdev);
}

static int op_mkdir(const char *path, mode_t mode) {
  as_caller();
  return nfs_mkdir2(nfs, path, (int)(mode & 07777));
}

static int op_unlink(const char *path) {
  as_caller();
  return nfs_unlink(nfs, path);
}

static int op_rmdir(const char *path) {
  as_caller();
  return nfs_rmdir(nfs, path);
}

static int op_symlink(const char *target, const char *path) {
  as_caller();
  return nfs_symlink(nfs, target, path);
}

static int op_rename(const char *from, const char *to, unsigned int flags) {
  if (flags) return -EINVAL; // RENAME_NOREPLACE / RENAME_EXCHANGE have no NFSv3 equivalent
  as_caller();
  return nfs_rename(nfs, from, to);
}

static int op_link(const char *from, const char *to) {
  as_caller();
  return nfs_link(nfs, from, to);
}

// The kernel has resolved symbolic links before these: the path names the inode to change itself.
static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
  (void)fi;
  as_caller();
  return nfs_lchmod(nfs, path, (int)(mode & 07777));
}

static int op_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi) {
  (void)fi;
  as_caller();
  // -1 keeps an id unchanged; libnfs sets whatever it is given, so the current ids fill in.
  if (uid == (uid_t)-1 || gid == (gid_t)-1) {
    struct nfs_stat_64 n;
    int rc = nfs_lstat64(nfs, path, &n);
    if (rc) return rc;
    if (uid == (uid_t)-1) uid = (uid_t)n.nfs_uid;
    if (gid == (gid_t)-1) gid = (gid_t)n.nfs_gid;
  }
  return nfs_lchown(nfs, path, (int)uid, (int)gid);
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
  (void)fi;
  as_caller();
  return nfs_truncate(nfs, path, (uint64_t)size);
}

static int op_open(const char *path, struct fuse_file_info *fi) {
  struct nfsfh *fh;
  as_caller();
  int rc = nfs_open(nfs, path, fi->flags & (O_ACCMODE | O_APPEND | O_SYNC), &fh);
  if (rc == 0) fi->fh = (uint64_t)(uintptr_t)fh;
  return rc;
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
  struct nfsfh *fh;
  as_caller();
  int rc = nfs_create(nfs, path, fi->flags & (O_ACCMODE | O_APPEND | O_SYNC | O_CREAT | O_EXCL), (int)(mode & 07777), &fh);
  if (rc == 0) fi->fh = (uint64_t)(uintptr_t)fh;
  return rc;
}

static int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path;
  as_caller();
  size_t done = 0;
  while (done < size) {
    int n = nfs_pread(nfs, handle(fi), (uint64_t)off + done, size - done, buf + done);
    if (n < 0) return done ? (int)done : n;
    if (n == 0) break; // end of file
    done += (size_t)n;
  }
  return (int)done;
}

static int op_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path;
  as_caller();
  size_t done = 0;
  while (done < size) {
    int n = nfs_pwrite(nfs, handle(fi), (uint64_t)off + done, size - done, buf + done);
    if (n < 0) return done ? (int)done : n;
    if (n == 0) return done ? (int)done : -EIO;
    done += (size_t)n;
  }
  return (int)done;
}

static int op_statfs(const char *path, struct statvfs *sv) {
  as_caller();
  return nfs_statvfs(nfs, path, sv);
}

static int op_release(const char *path, struct fuse_file_info *fi) {
  (void)path;
  return nfs_close(nfs, handle(fi));
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
  (void)path, (void)datasync;
  as_caller();
  return nfs_fsync(nfs, handle(fi));
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi) {
  (void)fi;
  as_caller();
  struct timeval times[2];
  struct nfs_stat_64 n = {0};
  int have_stat = 0;
  for (int i = 0; i < 2; i++) {
    if (tv[i].tv_nsec == UTIME_NOW) {
      gettimeofday(&times[i], NULL);
    } else if (tv[i].tv_nsec == UTIME_OMIT) {
      if (!have_stat) {
        int rc = nfs_lstat64(nfs, path, &n);
        if (rc) return rc;
        have_stat = 1;
      }
      times[i].tv_sec = (time_t)(i == 0 ? n.nfs_atime : n.nfs_mtime);
      times[i].tv_usec = (suseconds_t)((i == 0 ? n.nfs_atime_nsec : n.nfs_mtime_nsec) / 1000);
    } else {
      times[i].tv_sec = tv[i].tv_sec;
      times[i].tv_usec = tv[i].tv_nsec / 1000;
    }
  }
  return nfs_lutimes(nfs, path, times);
}

static int op_access(const char *path, int mask) {
  as_caller();
  return nfs_access(nfs, path, mask);
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
  (void)conn;
  cfg->use_ino = 1;
  // One second of attribute and name caching, as the kernel client's minimum; no negative caching, so
  // a file created by another client is seen at the next lookup.
  cfg->attr_timeout = 1.0;
  cfg->entry_timeout = 1.0;
  cfg->negative_timeout = 0;
  return NULL;
}

static const struct fuse_operations ops = {
    .init = op_init,
    .getattr = op_getattr,
    .readlink = op_readlink,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .chmod = op_chmod,
    .chown = op_chown,
    .truncate = op_truncate,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .statfs = op_statfs,
    .release = op_release,
    .fsync = op_fsync,
    .readdir = op_readdir,
    .access = op_access,
    .create = op_create,
    .utimens = op_utimens,
};

// The mount options, sorted into what the mount, the connection and nobody use.
struct options {
  char fuse[1024];   // generic mount options for FUSE (ro, nosuid, ...), comma-separated
  char query[256];   // libnfs URL arguments (nfsport=, mountport=)
  int read_only;
};

static void append(char *dst, size_t cap, const char *sep, const char *item) {
  size_t len = strlen(dst);
  if (snprintf(dst + len, cap - len, "%s%s", len ? sep : "", item) >= (int)(cap - len)) die(EX_USAGE_, "options too long");
}

static int is_number(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

static void parse_options(char *list, struct options *o, int verbose) {
  static const char *generic[] = {"nosuid", "suid", "nodev", "dev", "noexec", "exec", "sync", "async", "dirsync",
                                  "atime", "noatime", "diratime", "nodiratime", "relatime", "norelatime",
                                  "strictatime", "lazytime", NULL};
  for (char *save = NULL, *opt = strtok_r(list, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
    char *value = strchr(opt, '=');
    if (value) *value++ = '\0';
    int known = 0;
    for (const char **g = generic; *g; g++)
      if (!value && strcmp(opt, *g) == 0) append(o->fuse, sizeof o->fuse, ",", opt), known = 1;
    if (known) continue;
    if (!value && strcmp(opt, "ro") == 0) o->read_only = 1;
    else if (!value && strcmp(opt, "rw") == 0) o->read_only = 0;
    else if (value && (strcmp(opt, "port") == 0 || strcmp(opt, "mountport") == 0)) {
      if (!is_number(value)) die(EX_USAGE_, "%s=%s is not a port number", opt, value);
      if (strcmp(value, "0") == 0) continue; // 0: ask the portmapper, as mount.nfs does
      char arg[64];
      snprintf(arg, sizeof arg, "%s=%s", strcmp(opt, "port") == 0 ? "nfsport" : "mountport", value);
      append(o->query, sizeof o->query, "&", arg);
    } else if (value && (strcmp(opt, "nfsvers") == 0 || strcmp(opt, "vers") == 0)) {
      if (verbose && strcmp(value, "3") != 0) fprintf(stderr, "%s: %s=%s requested; speaking NFSv3\n", prog, opt, value);
    } else if (value && (strcmp(opt, "proto") == 0 || strcmp(opt, "mountproto") == 0)) {
      if (strncmp(value, "tcp", 3) != 0) die(EX_USAGE_, "%s=%s is not supported: only TCP", opt, value);
    } else if (value && strcmp(opt, "sec") == 0) {
      if (strcmp(value, "sys") != 0) die(EX_USAGE_, "sec=%s is not supported: only sec=sys (AUTH_SYS)", value);
    } else if (verbose) {
      fprintf(stderr, "%s: option %s%s%s has no effect\n", prog, opt, value ? "=" : "", value ? value : "");
    }
  }
}

static void usage(void) {
  fprintf(stderr, "usage: %s SERVER:/PATH TARGET [-o OPTIONS] [-r|-w] [-s] [-n] [-v] [-f] [-N NAMESPACE] [-t TYPE]\n", prog);
  exit(EX_USAGE_);
}

int main(int argc, char **argv) {
  const char *base = strrchr(argv[0], '/');
  prog = base ? base + 1 : argv[0];
  if (argc < 3) usage();
  const char *source = argv[1], *target = argv[2];
  struct options o = {{0}, {0}, 0};
  int verbose = 0, fake = 0;
  char optbuf[4096] = "";
  for (int i = 3; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-o") == 0 && i + 1 < argc) append(optbuf, sizeof optbuf, ",", argv[++i]);
    else if ((strcmp(a, "-t") == 0 || strcmp(a, "-N") == 0) && i + 1 < argc) i++;
    else if (strcmp(a, "-r") == 0) append(optbuf, sizeof optbuf, ",", "ro");
    else if (strcmp(a, "-w") == 0) append(optbuf, sizeof optbuf, ",", "rw");
    else if (strcmp(a, "-v") == 0) verbose = 1;
    else if (strcmp(a, "-f") == 0) fake = 1;
    else if (strcmp(a, "-s") == 0 || strcmp(a, "-n") == 0) continue;
    else usage();
  }
  parse_options(optbuf, &o, verbose);

  // SERVER:/PATH (a bracketed IPv6 address is not supported by the URL form libnfs parses).
  const char *colon = strchr(source, ':');
  if (!colon || colon == source || colon[1] != '/' || source[0] == '[') die(EX_USAGE_, "%s: not SERVER:/PATH", source);
  if (strchr(source, '?')) die(EX_USAGE_, "%s: '?' in the path is not supported", source);
  char url[4096];
  if (snprintf(url, sizeof url, "nfs://%.*s%s?version=3%s%s", (int)(colon - source), source, colon + 1, o.query[0] ? "&" : "",
               o.query) >= (int)sizeof url)
    die(EX_USAGE_, "%s: too long", source);
  struct stat tst;
  if (stat(target, &tst) != 0 || !S_ISDIR(tst.st_mode)) die(EX_FAIL, "mount point %s does not exist", target);
  if (fake) return 0;

  nfs = nfs_init_context();
  if (!nfs) die(EX_SYSERR, "cannot create an NFS context");
  struct nfs_url *u = nfs_parse_url_dir(nfs, url);
  if (!u) die(EX_USAGE_, "%s: %s", source, nfs_get_error(nfs));
  nfs_set_autoreconnect(nfs, -1); // wait for the server for as long as it is away (hard)
  nfs_set_dircache(nfs, 0);       // another client's changes are seen at the next listing
  int rc = nfs_mount(nfs, u->server, u->path);
  if (rc) die(EX_FAIL, "mounting %s failed, reason given by server: %s", source, nfs_get_error(nfs));
  nfs_destroy_url(u);

  char mountopts[1400];
  snprintf(mountopts, sizeof mountopts, "allow_other,fsname=%s,subtype=tentacle-nfs%s%s%s", source, o.read_only ? ",ro" : "",
           o.fuse[0] ? "," : "", o.fuse);
  char *fargv[] = {argv[0], "-o", mountopts, NULL};
  struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
  struct fuse *fuse = fuse_new(&args, &ops, sizeof ops, NULL);
  if (!fuse) die(EX_SYSERR, "cannot set up FUSE (is /dev/fuse there?)");
  if (fuse_mount(fuse, target) != 0) die(EX_FAIL, "cannot mount on %s", target);
  // The mount exists: the caller may go on. The daemon serves it until it is unmounted.
  if (fuse_daemonize(0) != 0) die(EX_SYSERR, "cannot detach");
  struct fuse_session *se = fuse_get_session(fuse);
  if (fuse_set_signal_handlers(se) != 0) return EX_SYSERR;
  rc = fuse_loop(fuse);
  fuse_remove_signal_handlers(se);
  fuse_unmount(fuse);
  fuse_destroy(fuse);
  nfs_destroy_context(nfs);
  return rc ? EX_SYSERR : 0;
}
