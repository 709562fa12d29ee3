/**
 * The gateway's translation of the proxy's refusals into OpenAI errors: a refusal of one request field is a 400
 * `invalid_request_error` that names the field (`param`), with the proxy's code.
 */
import { ProxyError } from '../../worker-runtime/src/client/http';
import { PROXY_PARAM, toGatewayError } from '../../worker-runtime/src/gateway/errors';

test("the proxy's bad_timeout is a 400 invalid_request_error naming timeout_ms", () => {
    const err = toGatewayError(new ProxyError(400, 'bad_timeout', 'timeout_ms must be an integer in [1, 3600000]'));
    expect(err.status).toBe(400);
    expect(err.toJSON()).toEqual({
        error: {
            message: 'timeout_ms must be an integer in [1, 3600000]',
            type: 'invalid_request_error',
            param: 'timeout_ms',
            code: 'bad_timeout',
        },
    });
});

test('every field refusal of the proxy names its parameter', () => {
    for (const [code, param] of Object.entries(PROXY_PARAM)) {
        const err = toGatewayError(new ProxyError(400, code, 'refused'));
        expect(err.param).toBe(param);
        expect(err.type).toBe(code === 'unknown_model' ? 'not_found_error' : 'invalid_request_error');
    }
});
