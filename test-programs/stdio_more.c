/*
 * stdio_more DIR — the FILE* API beyond fopen/fread/fwrite/fclose. Run with stdout redirected to a file. Built
 * twice (see the Makefile): build/stdio_more plainly, build/stdio_more-lfs with -O2 -D_FORTIFY_SOURCE=2
 * -D_FILE_OFFSET_BITS=64, where glibc's headers rename calls: fopen64, freopen64, tmpfile64, fseeko64, ftello64,
 * fgetpos64, fsetpos64, __fprintf_chk, __vfprintf_chk, __printf_chk, __vprintf_chk, __dprintf_chk, __fgets_chk,
 * __fgets_unlocked_chk, __fread_unlocked_chk, __fwprintf_chk, __fgetws_chk, and getline becomes __getdelim.
 * fscanf/fwscanf are __isoc99_fscanf/__isoc99_fwscanf in both builds (C99 headers).
 * The character functions that -O2 inlines (getchar, putchar, the *_unlocked character calls) are called through
 * function pointers, so both builds call the same symbols; opaque() hides constant strings from gcc, which would
 * otherwise turn fputs/puts of a literal into fwrite.
 *
 * Calls, in order (byte counts in brackets):
 *  A: f = fopen(DIR/more.txt, "w+"); setvbuf(f, NULL, _IOFBF, 4096) = 0
 *     fputc('a') [1]; putc('b') [1]; fputs("cd\n") [3]; fprintf("%d-%s\n", 42, "xyz") [7];
 *     vfprintf("%05d\n", 7) [6]; fwrite_unlocked(1 x 10) [10]; fputs_unlocked("ef\n") [3];
 *     fputc_unlocked('g') [1]; putc_unlocked('h') [1]; fflush(f) = 0; ftell(f) = 33
 *     fseek(f, 0, SEEK_SET) = 0; fgetc = 'a' [1]; getc = 'b' [1]; fgets = "cd\n" [3]; getline = 7 [7];
 *     fscanf("%d") = 1 [5 consumed]; fgetc_unlocked = '\n' [1]; fread_unlocked(1 x 10) = 10 [10];
 *     fgets_unlocked = "ef\n" [3]; getc_unlocked = 'g' [1]; fgetc_unlocked = 'h' [1]; fgetc = EOF (eof);
 *     feof(f) = 1; ungetc('z') = 'z'; fgetc = 'z' [1]; clearerr(f); ferror(f) = 0;
 *     rewind(f); fgetpos(f) = 0; fseeko(f, 5, SEEK_SET) = 0; ftello(f) = 5; fsetpos(f) = 0; ftello(f) = 0;
 *     fileno_unlocked(f) = 3; fclose(f) = 0
 *  B: g = fopen(DIR/a.txt, "w"); fprintf(g, "a%d\n", 1) [3]; g = freopen(DIR/b.txt, "w", g);
 *     fprintf(g, "b%d\n", 22) [4]; fclose(g) = 0
 *  C: stdout: printf("%d-%d\n", 1, 2) [4]; vprintf("%s!\n", "v") [3]; puts("pq") [3]; putchar('x') [1];
 *     dprintf(1, "%d\n", 5) [2]; fflush(stdout) = 0                      (stdout file: 13 bytes)
 *  D: t = tmpfile(); fputs("tmp\n") [4]; fclose(t) = 0
 *  E: p = popen("echo 12 hi", "r"); fscanf("%d") = 1 [a pipe: bytes consumed unknown]; fgets = " hi\n" [4];
 *     pclose(p) = 0
 *  F: m = fmemopen(buf, 64, "w+"); fprintf(m, "%d", 12345) [5]; fclose(m) = 0;
 *     ms = open_memstream(&p, &n); fprintf(ms, "%d\n", 7) [2]; fclose(ms) = 0
 *  W: w = fopen(DIR/wide.txt, "w+"); fputwc(L'a') [1 char]; putwc(L'b') [1]; fputws(L"cd\n") [3];
 *     fwprintf(L"%d\n", 42) [3]; rewind(w); fgetwc = 'a' [1]; getwc = 'b' [1]; fgetws = L"cd\n" [3];
 *     fwscanf(L"%d") = 1 [2 bytes consumed]; fgetwc = '\n' [1]; fgetwc = WEOF (eof); fclose(w) = 0
 *  U: setlocale(LC_CTYPE, "C.UTF-8") (not traced); u = fopen(DIR/utf8.txt, "w"); fputws(L"äö") [2 chars,
 *     4 bytes]; fwprintf(u, L"%lc\n", L'ü') [2 chars, 3 bytes]; fclose(u) = 0
 *  S: freopen(DIR/more.txt, "r", stdin) = stdin (fd 0); getchar = 'a' [1]; getchar_unlocked = 'b' [1];
 *     scanf("%63s") = 1 ["cd": 2 bytes consumed]
 *  X: r = fopen(DIR/more.txt, "r"); fputc('x', r) = EOF (EBADF: read-only); ferror(r) = 1;
 *     fprintf(r, "%d\n", 1) = -1 (EBADF); fclose(r) = 0;
 *     r = fopen(DIR/more.txt, "r"); freopen(DIR/missing/none, "r", r) = NULL (ENOENT; r is closed)
 *  Z: fflush(NULL) = 0; fcloseall() = 0
 */
#include "common.h"
#include <locale.h>
#include <stdarg.h>
#include <unistd.h>
#include <wchar.h>

static const char *opaque(const char *s)
{
    __asm__("" : "+r"(s)); /* the compiler no longer knows the string */
    return s;
}

static const wchar_t *opaque_wide(const wchar_t *s)
{
    __asm__("" : "+r"(s));
    return s;
}

static int (*volatile fgetc_unlocked_p)(FILE *) = fgetc_unlocked;
static int (*volatile getc_unlocked_p)(FILE *) = getc_unlocked;
static int (*volatile fputc_unlocked_p)(int, FILE *) = fputc_unlocked;
static int (*volatile putc_unlocked_p)(int, FILE *) = putc_unlocked;
static int (*volatile putchar_p)(int) = putchar;
static int (*volatile getchar_p)(void) = getchar;
static int (*volatile getchar_unlocked_p)(void) = getchar_unlocked;

static int vf(FILE *f, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vfprintf(f, format, ap);
    va_end(ap);
    return n;
}

static int vp(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vprintf(format, ap);
    va_end(ap);
    return n;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    char buf[64];
    char line[64];
    memset(buf, 'm', sizeof buf);

    /* A */
    FILE *f = fopen(path_in(dir, "more.txt"), "w+");
    CHECK(f != NULL);
    CHECK(setvbuf(f, NULL, _IOFBF, 4096) == 0);
    CHECK(fputc('a', f) == 'a');
    CHECK(putc('b', f) == 'b');
    CHECK(fputs(opaque("cd\n"), f) >= 0);
    CHECK(fprintf(f, "%d-%s\n", 42, opaque("xyz")) == 7);
    CHECK(vf(f, "%05d\n", 7) == 6);
    CHECK(fwrite_unlocked(buf, 1, 10, f) == 10);
    CHECK(fputs_unlocked(opaque("ef\n"), f) >= 0);
    CHECK(fputc_unlocked_p('g', f) == 'g');
    CHECK(putc_unlocked_p('h', f) == 'h');
    CHECK(fflush(f) == 0);
    CHECK(ftell(f) == 33);
    CHECK(fseek(f, 0, SEEK_SET) == 0);
    CHECK(fgetc(f) == 'a');
    CHECK(getc(f) == 'b');
    CHECK(fgets(line, sizeof line, f) != NULL && strcmp(line, "cd\n") == 0);
    char *lineptr = NULL;
    size_t linecap = 0;
    CHECK(getline(&lineptr, &linecap, f) == 7);
    free(lineptr);
    int value = 0;
    CHECK(fscanf(f, "%d", &value) == 1 && value == 7);
    CHECK(fgetc_unlocked_p(f) == '\n');
    CHECK(fread_unlocked(buf, 1, 10, f) == 10);
    CHECK(fgets_unlocked(line, sizeof line, f) != NULL && strcmp(line, "ef\n") == 0);
    CHECK(getc_unlocked_p(f) == 'g');
    CHECK(fgetc_unlocked_p(f) == 'h');
    CHECK(fgetc(f) == EOF);
    CHECK(feof(f) != 0);
    CHECK(ungetc('z', f) == 'z');
    CHECK(fgetc(f) == 'z');
    clearerr(f);
    CHECK(ferror(f) == 0);
    rewind(f);
    fpos_t pos;
    CHECK(fgetpos(f, &pos) == 0);
    CHECK(fseeko(f, 5, SEEK_SET) == 0);
    CHECK(ftello(f) == 5);
    CHECK(fsetpos(f, &pos) == 0);
    CHECK(ftello(f) == 0);
    CHECK(fileno_unlocked(f) == 3);
    CHECK(fclose(f) == 0);

    /* B */
    FILE *g = fopen(path_in(dir, "a.txt"), "w");
    CHECK(g != NULL);
    CHECK(fprintf(g, "a%d\n", 1) == 3);
    g = freopen(path_in(dir, "b.txt"), "w", g);
    CHECK(g != NULL);
    CHECK(fprintf(g, "b%d\n", 22) == 4);
    CHECK(fclose(g) == 0);

    /* C */
    CHECK(printf("%d-%d\n", 1, 2) == 4);
    CHECK(vp("%s!\n", opaque("v")) == 3);
    CHECK(puts(opaque("pq")) >= 0);
    CHECK(putchar_p('x') == 'x');
    CHECK(dprintf(1, "%d\n", 5) == 2);
    CHECK(fflush(stdout) == 0);

    /* D */
    FILE *t = tmpfile();
    CHECK(t != NULL);
    CHECK(fputs(opaque("tmp\n"), t) >= 0);
    CHECK(fclose(t) == 0);

    /* E */
    FILE *p = popen("echo 12 hi", "r");
    CHECK(p != NULL);
    CHECK(fscanf(p, "%d", &value) == 1 && value == 12);
    CHECK(fgets(line, sizeof line, p) != NULL && strcmp(line, " hi\n") == 0);
    CHECK(pclose(p) == 0);

    /* F */
    FILE *m = fmemopen(buf, sizeof buf, "w+");
    CHECK(m != NULL);
    CHECK(fprintf(m, "%d", 12345) == 5);
    CHECK(fclose(m) == 0);
    char *memory = NULL;
    size_t memory_size = 0;
    FILE *ms = open_memstream(&memory, &memory_size);
    CHECK(ms != NULL);
    CHECK(fprintf(ms, "%d\n", 7) == 2);
    CHECK(fclose(ms) == 0);
    free(memory);

    /* W */
    FILE *w = fopen(path_in(dir, "wide.txt"), "w+");
    CHECK(w != NULL);
    CHECK(fputwc(L'a', w) == L'a');
    CHECK(putwc(L'b', w) == L'b');
    CHECK(fputws(opaque_wide(L"cd\n"), w) >= 0);
    CHECK(fwprintf(w, L"%d\n", 42) == 3);
    rewind(w);
    CHECK(fgetwc(w) == L'a');
    CHECK(getwc(w) == L'b');
    wchar_t wide[16];
    CHECK(fgetws(wide, 16, w) != NULL && wcscmp(wide, L"cd\n") == 0);
    CHECK(fwscanf(w, L"%d", &value) == 1 && value == 42);
    CHECK(fgetwc(w) == L'\n');
    CHECK(fgetwc(w) == WEOF);
    CHECK(fclose(w) == 0);

    /* U */
    CHECK(setlocale(LC_CTYPE, "C.UTF-8") != NULL);
    FILE *u = fopen(path_in(dir, "utf8.txt"), "w");
    CHECK(u != NULL);
    CHECK(fputws(opaque_wide(L"\u00e4\u00f6"), u) >= 0);
    CHECK(fwprintf(u, L"%lc\n", (wint_t)L'\u00fc') == 2);
    CHECK(fclose(u) == 0);

    /* S */
    CHECK(freopen(path_in(dir, "more.txt"), "r", stdin) == stdin);
    CHECK(getchar_p() == 'a');
    CHECK(getchar_unlocked_p() == 'b');
    char word[64];
    CHECK(scanf("%63s", word) == 1 && strcmp(word, "cd") == 0);

    /* X */
    FILE *r = fopen(path_in(dir, "more.txt"), "r");
    CHECK(r != NULL);
    CHECK(fputc('x', r) == EOF && errno == EBADF);
    CHECK(ferror(r) != 0);
    CHECK(fprintf(r, "%d\n", 1) < 0 && errno == EBADF);
    CHECK(fclose(r) == 0);
    r = fopen(path_in(dir, "more.txt"), "r");
    CHECK(r != NULL);
    CHECK(freopen(path_in(dir, "missing/none"), "r", r) == NULL && errno == ENOENT);

    /* Z */
    CHECK(fflush(NULL) == 0);
    CHECK(fcloseall() == 0);
    return 0;
}
