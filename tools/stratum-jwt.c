
/*
 * Copyright (C) The Stratum authors
 */


/*
 * stratum-jwt: mints a signed JSON Web Token for the tests and the demo.
 *
 * The signing is libjwt's (1.10); the key is also opened here, with
 * OpenSSL, so that a key that does not fit the algorithm is refused with
 * a clear message instead of a token whose header lies about its signature.
 */


#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>


#define STRATUM_JWT_NAME          "stratum-jwt"
#define STRATUM_JWT_MAX_KEY_SIZE  (1024 * 1024)

#define STRATUM_JWT_OK            0
#define STRATUM_JWT_FAILED        1
#define STRATUM_JWT_USAGE         2

/* which key an algorithm signs with */
#define STRATUM_JWT_KEY_NONE      0
#define STRATUM_JWT_KEY_SECRET    1
#define STRATUM_JWT_KEY_RSA       2
#define STRATUM_JWT_KEY_EC        3


typedef struct {
    const char               *name;
    jwt_alg_t                 alg;
    int                       key;
    int                       bits;       /* EC curve size, 0: any */
} stratum_jwt_alg_t;


typedef struct {
    const char               *key_file;
    const char               *kid;
    const char               *claims;
    const stratum_jwt_alg_t  *alg;
    long                      exp;
    long                      nbf;
    long                      iat;
    unsigned                  has_exp:1;
    unsigned                  has_nbf:1;
    unsigned                  has_iat:1;
} stratum_jwt_opts_t;


static void stratum_jwt_usage(FILE *out);
static void stratum_jwt_hint(void);
static void stratum_jwt_error(const char *fmt, ...);
static int stratum_jwt_parse_args(int argc, char **argv,
    stratum_jwt_opts_t *opts);
static const stratum_jwt_alg_t *stratum_jwt_find_alg(const char *name);
static int stratum_jwt_parse_seconds(const char *opt, const char *arg,
    long *value);
static unsigned char *stratum_jwt_read_key(const char *path, size_t *len);
static int stratum_jwt_check_key(const stratum_jwt_opts_t *opts,
    const unsigned char *key, size_t len);
static int stratum_jwt_check_claims(const char *claims);
static int stratum_jwt_set_time(jwt_t *jwt, const char *name, long now,
    long offset);
static int stratum_jwt_mint(const stratum_jwt_opts_t *opts,
    const unsigned char *key, size_t len);
static int stratum_jwt_no_passphrase(char *buf, int size, int rwflag,
    void *data);


/*
 * libjwt 1.10 has no RSASSA-PSS (PS256...) and no EdDSA: those are
 * refused by name below rather than reported as unknown
 */

static const stratum_jwt_alg_t  stratum_jwt_algs[] = {
    { "RS256", JWT_ALG_RS256, STRATUM_JWT_KEY_RSA, 0 },
    { "RS384", JWT_ALG_RS384, STRATUM_JWT_KEY_RSA, 0 },
    { "RS512", JWT_ALG_RS512, STRATUM_JWT_KEY_RSA, 0 },
    { "ES256", JWT_ALG_ES256, STRATUM_JWT_KEY_EC, 256 },
    { "ES384", JWT_ALG_ES384, STRATUM_JWT_KEY_EC, 384 },
    { "ES512", JWT_ALG_ES512, STRATUM_JWT_KEY_EC, 521 },
    { "HS256", JWT_ALG_HS256, STRATUM_JWT_KEY_SECRET, 0 },
    { "HS384", JWT_ALG_HS384, STRATUM_JWT_KEY_SECRET, 0 },
    { "HS512", JWT_ALG_HS512, STRATUM_JWT_KEY_SECRET, 0 },
    { "none", JWT_ALG_NONE, STRATUM_JWT_KEY_NONE, 0 },
    { NULL, JWT_ALG_INVAL, 0, 0 }
};


static const char  *stratum_jwt_unsupported[] = {
    "PS256", "PS384", "PS512", "EdDSA", NULL
};


static const struct option  stratum_jwt_options[] = {
    { "key",     required_argument, NULL, 'k' },
    { "alg",     required_argument, NULL, 'a' },
    { "kid",     required_argument, NULL, 'i' },
    { "claims",  required_argument, NULL, 'c' },
    { "exp",     required_argument, NULL, 'e' },
    { "nbf",     required_argument, NULL, 'n' },
    { "iat",     required_argument, NULL, 't' },
    { "help",    no_argument,       NULL, 'h' },
    { NULL,      0,                 NULL, 0 }
};


int
main(int argc, char **argv)
{
    int                  rc;
    size_t               len;
    unsigned char       *key;
    stratum_jwt_opts_t   opts;

    rc = stratum_jwt_parse_args(argc, argv, &opts);
    if (rc != STRATUM_JWT_OK) {
        return rc == -1 ? STRATUM_JWT_OK : rc;
    }

    if (opts.claims && stratum_jwt_check_claims(opts.claims) != 0) {
        return STRATUM_JWT_USAGE;
    }

    key = NULL;
    len = 0;

    if (opts.alg->key != STRATUM_JWT_KEY_NONE) {
        key = stratum_jwt_read_key(opts.key_file, &len);
        if (key == NULL) {
            return STRATUM_JWT_FAILED;
        }

        if (stratum_jwt_check_key(&opts, key, len) != 0) {
            free(key);
            return STRATUM_JWT_FAILED;
        }
    }

    rc = stratum_jwt_mint(&opts, key, len);

    free(key);

    return rc;
}


static void
stratum_jwt_usage(FILE *out)
{
    fprintf(out,
        "usage: " STRATUM_JWT_NAME " --key PRIVATE.pem [--alg ALG]"
        " [--kid KID]\n"
        "                   [--claims JSON] [--exp SECONDS]"
        " [--nbf SECONDS]\n"
        "                   [--iat SECONDS]\n"
        "\n"
        "Prints a signed JSON Web Token and a newline.\n"
        "\n"
        "  --key FILE      PEM private key (RS*, ES*); for HS* the file's\n"
        "                  bytes, as they are, are the shared secret;\n"
        "                  not needed with --alg none\n"
        "  --alg ALG       RS256 (default), RS384, RS512, ES256 (P-256),\n"
        "                  ES384 (P-384), ES512 (P-521), HS256, HS384,\n"
        "                  HS512, none; libjwt 1.10 cannot sign PS* "
        "or EdDSA\n"
        "  --kid KID       \"kid\" header parameter\n"
        "  --claims JSON   JSON object merged into the claims; values of\n"
        "                  any type are kept as given\n"
        "  --exp SECONDS   \"exp\" claim: now plus SECONDS (may be "
        "negative)\n"
        "  --nbf SECONDS   \"nbf\" claim: now plus SECONDS\n"
        "  --iat SECONDS   \"iat\" claim: now plus SECONDS\n"
        "  -h, --help      this text\n"
        "\n"
        "--exp, --nbf and --iat replace the same claim given in --claims.\n"
        "Exit status: 0 token printed, 1 signing failed, 2 bad usage.\n");
}


static void
stratum_jwt_hint(void)
{
    fprintf(stderr, "try \"" STRATUM_JWT_NAME " --help\"\n");
}


static void
stratum_jwt_error(const char *fmt, ...)
{
    va_list  args;

    fprintf(stderr, STRATUM_JWT_NAME ": ");

    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);

    fprintf(stderr, "\n");
}


/* returns STRATUM_JWT_OK, STRATUM_JWT_USAGE, or -1 after --help */

static int
stratum_jwt_parse_args(int argc, char **argv, stratum_jwt_opts_t *opts)
{
    int  c;

    memset(opts, 0, sizeof(stratum_jwt_opts_t));
    opts->alg = stratum_jwt_find_alg("RS256");

    /* errors are ours, not getopt's, so they all look alike */
    opterr = 0;

    for ( ;; ) {
        c = getopt_long(argc, argv, ":h", stratum_jwt_options, NULL);

        if (c == -1) {
            break;
        }

        switch (c) {

        case 'k':
            opts->key_file = optarg;
            break;

        case 'a':
            opts->alg = stratum_jwt_find_alg(optarg);
            if (opts->alg == NULL) {
                return STRATUM_JWT_USAGE;
            }
            break;

        case 'i':
            if (optarg[0] == '\0') {
                stratum_jwt_error("--kid must not be empty");
                return STRATUM_JWT_USAGE;
            }

            opts->kid = optarg;
            break;

        case 'c':
            opts->claims = optarg;
            break;

        case 'e':
            if (stratum_jwt_parse_seconds("--exp", optarg, &opts->exp) != 0) {
                return STRATUM_JWT_USAGE;
            }

            opts->has_exp = 1;
            break;

        case 'n':
            if (stratum_jwt_parse_seconds("--nbf", optarg, &opts->nbf) != 0) {
                return STRATUM_JWT_USAGE;
            }

            opts->has_nbf = 1;
            break;

        case 't':
            if (stratum_jwt_parse_seconds("--iat", optarg, &opts->iat) != 0) {
                return STRATUM_JWT_USAGE;
            }

            opts->has_iat = 1;
            break;

        case 'h':
            stratum_jwt_usage(stdout);
            return -1;

        case ':':
            stratum_jwt_error("option \"%s\" needs a value",
                              argv[optind - 1]);
            stratum_jwt_hint();
            return STRATUM_JWT_USAGE;

        default:
            stratum_jwt_error("unknown option \"%s\"", argv[optind - 1]);
            stratum_jwt_hint();
            return STRATUM_JWT_USAGE;
        }
    }

    if (optind < argc) {
        stratum_jwt_error("unexpected argument \"%s\"", argv[optind]);
        stratum_jwt_hint();
        return STRATUM_JWT_USAGE;
    }

    if (opts->key_file == NULL && opts->alg->key != STRATUM_JWT_KEY_NONE) {
        stratum_jwt_error("--key is required with --alg %s",
                          opts->alg->name);
        stratum_jwt_hint();
        return STRATUM_JWT_USAGE;
    }

    if (opts->key_file != NULL && opts->alg->key == STRATUM_JWT_KEY_NONE) {
        stratum_jwt_error("--key cannot be used with --alg none");
        return STRATUM_JWT_USAGE;
    }

    return STRATUM_JWT_OK;
}


static const stratum_jwt_alg_t *
stratum_jwt_find_alg(const char *name)
{
    const char               **u;
    const stratum_jwt_alg_t   *a;

    /* case-sensitive, as the "alg" header parameter is */

    for (a = stratum_jwt_algs; a->name; a++) {
        if (strcmp(a->name, name) == 0) {
            return a;
        }
    }

    for (u = stratum_jwt_unsupported; *u; u++) {
        if (strcmp(*u, name) == 0) {
            stratum_jwt_error("algorithm \"%s\" is not supported: "
                              "libjwt 1.10 cannot sign it", name);
            return NULL;
        }
    }

    stratum_jwt_error("unknown algorithm \"%s\" (known: RS256 RS384 RS512 "
                      "ES256 ES384 ES512 HS256 HS384 HS512 none)", name);

    return NULL;
}


static int
stratum_jwt_parse_seconds(const char *opt, const char *arg, long *value)
{
    long   n;
    char  *end;

    errno = 0;
    n = strtol(arg, &end, 10);

    if (end == arg || *end != '\0') {
        stratum_jwt_error("invalid %s value \"%s\": not an integer number "
                          "of seconds", opt, arg);
        return -1;
    }

    /* the claim is now + n: keep it far from overflowing */

    if (errno == ERANGE || n > LONG_MAX / 2 || n < LONG_MIN / 2) {
        stratum_jwt_error("invalid %s value \"%s\": out of range", opt, arg);
        return -1;
    }

    *value = n;

    return 0;
}


static unsigned char *
stratum_jwt_read_key(const char *path, size_t *len)
{
    FILE           *f;
    size_t          n;
    unsigned char  *buf;

    f = fopen(path, "rb");
    if (f == NULL) {
        stratum_jwt_error("cannot open key \"%s\": %s", path, strerror(errno));
        return NULL;
    }

    /* one byte more than allowed tells an oversized file apart */

    buf = malloc(STRATUM_JWT_MAX_KEY_SIZE + 1);
    if (buf == NULL) {
        stratum_jwt_error("out of memory");
        fclose(f);
        return NULL;
    }

    n = fread(buf, 1, STRATUM_JWT_MAX_KEY_SIZE + 1, f);

    if (ferror(f)) {
        stratum_jwt_error("cannot read key \"%s\": %s", path, strerror(errno));
        goto failed;
    }

    if (n > STRATUM_JWT_MAX_KEY_SIZE) {
        stratum_jwt_error("key \"%s\" is larger than %d bytes", path,
                          STRATUM_JWT_MAX_KEY_SIZE);
        goto failed;
    }

    if (n == 0) {
        stratum_jwt_error("key \"%s\" is empty", path);
        goto failed;
    }

    fclose(f);

    *len = n;

    return buf;

failed:

    fclose(f);
    free(buf);

    return NULL;
}


static int
stratum_jwt_check_key(const stratum_jwt_opts_t *opts,
    const unsigned char *key, size_t len)
{
    int                       rc, type, bits;
    BIO                      *bio;
    EVP_PKEY                 *pkey;
    const stratum_jwt_alg_t  *a;

    a = opts->alg;

    if (a->key == STRATUM_JWT_KEY_SECRET) {
        return 0;
    }

    bio = BIO_new_mem_buf(key, (int) len);
    if (bio == NULL) {
        stratum_jwt_error("out of memory");
        return -1;
    }

    /* no passphrase prompt: the tool runs unattended */

    pkey = PEM_read_bio_PrivateKey(bio, NULL, stratum_jwt_no_passphrase,
                                   NULL);
    BIO_free(bio);

    if (pkey == NULL) {
        stratum_jwt_error("key \"%s\" is not an unencrypted PEM private key",
                          opts->key_file);
        return -1;
    }

    type = EVP_PKEY_get_base_id(pkey);
    bits = EVP_PKEY_get_bits(pkey);

    EVP_PKEY_free(pkey);

    rc = 0;

    if (a->key == STRATUM_JWT_KEY_RSA && type != EVP_PKEY_RSA) {
        stratum_jwt_error("%s needs an RSA key, \"%s\" is not one", a->name,
                          opts->key_file);
        rc = -1;

    } else if (a->key == STRATUM_JWT_KEY_EC
               && (type != EVP_PKEY_EC || bits != a->bits))
    {
        stratum_jwt_error("%s needs an EC P-%d key, \"%s\" is not one",
                          a->name, a->bits, opts->key_file);
        rc = -1;
    }

    return rc;
}


static int
stratum_jwt_no_passphrase(char *buf, int size, int rwflag, void *data)
{
    (void) buf;
    (void) size;
    (void) rwflag;
    (void) data;

    return 0;
}


static int
stratum_jwt_check_claims(const char *claims)
{
    json_t        *json;
    json_error_t   err;

    /*
     * parsed here for the error message only: libjwt parses it again;
     * a duplicate name is refused rather than silently dropped
     */

    json = json_loads(claims, JSON_REJECT_DUPLICATES, &err);
    if (json == NULL) {
        stratum_jwt_error("invalid --claims JSON at column %d: %s",
                          err.column, err.text);
        return -1;
    }

    if (!json_is_object(json)) {
        stratum_jwt_error("--claims must be a JSON object");
        json_decref(json);
        return -1;
    }

    json_decref(json);

    return 0;
}


static int
stratum_jwt_set_time(jwt_t *jwt, const char *name, long now, long offset)
{
    int  rc;

    /* the option wins over the same claim in --claims */

    rc = jwt_del_grants(jwt, name);
    if (rc == 0) {
        rc = jwt_add_grant_int(jwt, name, now + offset);
    }

    if (rc != 0) {
        stratum_jwt_error("cannot set \"%s\": %s", name, strerror(rc));
        return -1;
    }

    return 0;
}


static int
stratum_jwt_mint(const stratum_jwt_opts_t *opts, const unsigned char *key,
    size_t len)
{
    int     rc;
    long    now;
    char   *token;
    jwt_t  *jwt;

    rc = jwt_new(&jwt);
    if (rc != 0) {
        stratum_jwt_error("jwt_new() failed: %s", strerror(rc));
        return STRATUM_JWT_FAILED;
    }

    token = NULL;
    now = (long) time(NULL);

    if (opts->claims) {
        rc = jwt_add_grants_json(jwt, opts->claims);
        if (rc != 0) {
            stratum_jwt_error("cannot add --claims: %s",
                              rc > 0 ? strerror(rc) : "refused by libjwt");
            goto failed;
        }
    }

    if ((opts->has_exp && stratum_jwt_set_time(jwt, "exp", now, opts->exp))
        || (opts->has_nbf && stratum_jwt_set_time(jwt, "nbf", now, opts->nbf))
        || (opts->has_iat && stratum_jwt_set_time(jwt, "iat", now, opts->iat)))
    {
        goto failed;
    }

    /* libjwt sets "alg" itself, and "typ" only on signed tokens */

    rc = jwt_add_header(jwt, "typ", "JWT");

    if (rc == 0 && opts->kid) {
        rc = jwt_add_header(jwt, "kid", opts->kid);
    }

    if (rc != 0) {
        stratum_jwt_error("cannot set the header: %s", strerror(rc));
        goto failed;
    }

    rc = jwt_set_alg(jwt, opts->alg->alg, key, (int) len);
    if (rc != 0) {
        stratum_jwt_error("jwt_set_alg(%s) failed: %s", opts->alg->name,
                          strerror(rc));
        goto failed;
    }

    errno = 0;
    token = jwt_encode_str(jwt);

    if (token == NULL) {
        stratum_jwt_error("signing with %s failed: %s", opts->alg->name,
                          errno ? strerror(errno) : "unknown error");
        goto failed;
    }

    if (printf("%s\n", token) < 0 || fflush(stdout) != 0) {
        stratum_jwt_error("cannot write the token: %s", strerror(errno));
        goto failed;
    }

    free(token);
    jwt_free(jwt);

    return STRATUM_JWT_OK;

failed:

    free(token);
    jwt_free(jwt);

    return STRATUM_JWT_FAILED;
}
