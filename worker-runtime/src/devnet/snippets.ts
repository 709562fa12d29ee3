/**
 * What the devnet prints for the gateway it runs (in-process, or `chrysalis client serve` with --processes): its URL,
 * a curl and an `openai` snippet that work against it.
 */
export function gatewaySnippets(url: string): string {
    return [
        `gateway ${url}`,
        `  curl ${url}/chat/completions -H 'content-type: application/json' \\`,
        `    -d '{"model": "chat-think", "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 16}'`,
        `  node -e "const O=require('openai');new O({baseURL:'${url}',apiKey:'unused'}).chat.completions` +
            `.create({model:'chat-think',messages:[{role:'user',content:'Hello'}],max_tokens:16}).then(r=>console.log(r.choices[0].message.content, r.usage))"`,
    ].join('\n');
}
